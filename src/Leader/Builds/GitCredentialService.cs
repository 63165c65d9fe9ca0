using System.Text.RegularExpressions;
using Cluster.Leader.Operations;
using Cluster.Leader.Security;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Builds;

// Git credentials: sealed like registry secrets (SecretBox, bound to the record id), shown
// without their token, and opened only to put into a build job for a builder.
public sealed partial class GitCredentialService(LeaderDatabase db, SecretBox secrets, TimeProvider time)
{
    public sealed record View(string Name, string UrlPrefix, string Username, DateTime CreatedAt);

    public View Add(string name, string urlPrefix, string? username, string token, string actor)
    {
        if (!NamePattern().IsMatch(name ?? ""))
        {
            throw new OperationException(OperationError.InvalidArgument, $"Git credential name '{name}' is not valid: use 1 to 63 lowercase letters, digits or '-'");
        }

        var prefix = (urlPrefix ?? "").Trim();
        if (!Uri.TryCreate(prefix, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.UserInfo.Length > 0)
        {
            throw new OperationException(OperationError.InvalidArgument, $"--url '{urlPrefix}' is not an http(s) URL prefix without user info (for example https://github.com/acme/); SSH deploy keys are not supported yet");
        }

        if (string.IsNullOrEmpty(token))
        {
            throw new OperationException(OperationError.InvalidArgument, "the token is empty: pass it on stdin with --token-stdin");
        }

        var id = Guid.NewGuid().ToString("N");
        var record = new GitCredentialRecord
        {
            Id = id,
            Name = name!,
            UrlPrefix = prefix,
            Username = string.IsNullOrWhiteSpace(username) ? "x-access-token" : username.Trim(),
            SealedToken = secrets.Seal(token, id),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        return db.Write(d =>
        {
            if (d.GitCredentials.FindOne(g => g.Name == record.Name) is not null)
            {
                throw new OperationException(OperationError.AlreadyExists, $"Git credential '{record.Name}' already exists; remove it first to replace it");
            }

            d.GitCredentials.Insert(record);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "git.add", Target = record.Name, Details = $"url={record.UrlPrefix} username={record.Username}" });
            return ToView(record);
        });
    }

    public IReadOnlyList<View> List() =>
        db.Read(d => d.GitCredentials.FindAll().OrderBy(g => g.Name, StringComparer.Ordinal).Select(ToView).ToList());

    public View Get(string name) =>
        db.Read(d => d.GitCredentials.FindOne(g => g.Name == name)) is { } r
            ? ToView(r)
            : throw new OperationException(OperationError.NotFound, $"no Git credential named '{name}'; `clusterctl git list` shows them");

    public void Remove(string name, string actor) =>
        db.Write(d =>
        {
            var record = d.GitCredentials.FindOne(g => g.Name == name)
                ?? throw new OperationException(OperationError.NotFound, $"no Git credential named '{name}'");
            var users = d.Apps.Find(a => a.GitCredential == name).Select(a => a.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
            if (users.Count > 0)
            {
                throw new OperationException(OperationError.FailedPrecondition, $"Git credential '{name}' is used by app(s) {string.Join(", ", users)}; remove those apps first");
            }

            d.GitCredentials.Delete(record.Id);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "git.remove", Target = name });
            return true;
        });

    // The credential for a fetch: the named one, else the one with the longest prefix of the
    // URL, else none (a public repository). Only build jobs call this.
    public Protos.Build.V1.GitCredential? For(string gitUrl, string name)
    {
        var record = db.Read(d => name.Length > 0
            ? d.GitCredentials.FindOne(g => g.Name == name)
            : d.GitCredentials.FindAll().Where(g => gitUrl.StartsWith(g.UrlPrefix, StringComparison.Ordinal)).OrderByDescending(g => g.UrlPrefix.Length).FirstOrDefault());
        if (record is null)
        {
            return name.Length > 0 ? throw new OperationException(OperationError.FailedPrecondition, $"the app names Git credential '{name}', which no longer exists") : null;
        }

        return new Protos.Build.V1.GitCredential { Username = record.Username, Token = secrets.Open(record.SealedToken, record.Id) };
    }

    private static View ToView(GitCredentialRecord r) => new(r.Name, r.UrlPrefix, r.Username, r.CreatedAt);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex NamePattern();
}
