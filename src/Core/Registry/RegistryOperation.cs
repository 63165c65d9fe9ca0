using System.Text;

namespace Cluster.Core.Registry;

// What one public call of RegistryClient knows: the host, the login, and every secret to keep
// out of messages (the password, its Basic encoding, each token obtained or taken from the cache).
internal sealed class RegistryOperation
{
    private readonly List<string> _secrets = [];

    public RegistryOperation(RegistryHost host, RegistryLogin? login)
    {
        Host = host;
        Login = login;
        if (login is not null)
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(login.Username + ":" + login.Secret));
            BasicHeader = "Basic " + basic;
            AddSecret(login.Secret);
            AddSecret(basic);
        }
    }

    public RegistryHost Host { get; }

    public RegistryLogin? Login { get; }

    public string? BasicHeader { get; }

    public void AddSecret(string secret)
    {
        lock (_secrets)
        {
            if (secret.Length > 0 && !_secrets.Contains(secret, StringComparer.Ordinal))
            {
                _secrets.Add(secret);
            }
        }
    }

    public RegistryCheck Redact(RegistryCheck check) => check with { Message = Redact(check.Message) };

    private string Redact(string message)
    {
        lock (_secrets)
        {
            // Longest first, so a token that contains the password is removed whole.
            foreach (var secret in _secrets.OrderByDescending(s => s.Length))
            {
                message = message.Replace(secret, "[redacted]", StringComparison.Ordinal);
            }
        }

        return message;
    }

    public override string ToString() => $"{Host} as {Login?.ToString() ?? "anonymous"}";
}
