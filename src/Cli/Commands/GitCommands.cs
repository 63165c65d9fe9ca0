using System.CommandLine;
using Cluster.Cli.Connection;
using Cluster.Cli.Output;
using Cluster.Core.Git;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// `clusterctl git add|update|list|remove`: credentials for private Git repositories. An HTTPS
// token is read from stdin only (--token-stdin); an SSH private key from the file named by
// --ssh-key-file (a path in argv, never the key). Neither is ever printed. The key file is checked
// here first (a public key, a passphrase, a PEM or PuTTY key are refused with what to pass
// instead), before anything is sent.
internal static class GitCommands
{
    // Ample for ssh-keyscan's timeout on the leader.
    private static readonly TimeSpan AddDeadline = TimeSpan.FromSeconds(60);

    public static Command Build(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var git = new Command("git", "Credentials for building from private Git repositories");
        git.Subcommands.Add(Add(stdout, stderr, stdin));
        git.Subcommands.Add(Update(stdout, stderr, stdin));

        var output = GlobalOptions.Output();
        var list = new Command("list", "List Git credentials (never their tokens or keys; SSH host key fingerprints)") { output };
        list.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new GitCredentials.GitCredentialsClient(leader.Channel).ListGitCredentialsAsync(new ListGitCredentialsRequest(), leader.Call());
            var views = response.Credentials.Select(GitCredentialView.From).ToList();
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, views, JsonContext.Printing.ListGitCredentialView);
                return 0;
            }

            Table.Write(stdout, ["NAME", "KIND", "URL", "USERNAME", "KEY / HOST KEYS"], views.Select(v => new[]
            {
                v.Name, v.Kind, v.Url, v.Username,
                v.Kind == "ssh" ? $"{v.KeyFingerprint}; host {string.Join(", ", v.HostKeys.Select(k => k.Fingerprint))} ({v.HostKeysSource})" : "",
            }));
            return 0;
        }));
        git.Subcommands.Add(list);

        var removeName = new Argument<string>("NAME");
        var remove = new Command("remove", "Remove a Git credential (refused while an app uses it)") { removeName };
        remove.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            await new GitCredentials.GitCredentialsClient(leader.Channel).RemoveGitCredentialAsync(new RemoveGitCredentialRequest { Name = parse.GetValue(removeName)! }, leader.Call());
            await stdout.WriteLineAsync($"git credential {parse.GetValue(removeName)} removed");
            return 0;
        }));
        git.Subcommands.Add(remove);
        return git;
    }

    private static Command Add(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var name = new Argument<string>("NAME") { Description = "Credential name, e.g. github-acme" };
        var url = new Option<string>("--url") { Description = "URL prefix the credential serves: https://github.com/acme/, or SSH: git@github.com:acme/, ssh://git@host:2222/acme/", Required = true };
        var username = new Option<string?>("--username") { Description = "HTTPS: user name (default x-access-token, as GitHub and GitLab tokens accept); SSH: login user when the URL names none" };
        var tokenStdin = new Option<bool>("--token-stdin") { Description = "HTTPS: read the token from stdin (the only way to pass it)" };
        var keyFile = new Option<string?>("--ssh-key-file") { Description = "SSH: an OpenSSH private key file without passphrase (a deploy key); sent to the leader, stored sealed" };
        var knownHosts = new Option<string?>("--known-hosts") { Description = "SSH: known_hosts file with the server's keys, the only ones accepted; without it the leader reads them now with ssh-keyscan and prints their fingerprints" };
        var add = new Command("add", "Store a Git credential (sealed; sent only to build servers)") { name, url, username, tokenStdin, keyFile, knownHosts };
        add.SetAction(async (parse, ct) =>
        {
            var request = new AddGitCredentialRequest { Name = parse.GetValue(name)!, UrlPrefix = parse.GetValue(url)!, Username = parse.GetValue(username) ?? "" };
            try
            {
                var file = parse.GetValue(keyFile);
                if (parse.GetValue(tokenStdin) == (file is not null))
                {
                    throw new CliException(file is null
                        ? "give the secret: an HTTPS token on stdin (printf '%s' \"$TOKEN\" | clusterctl git add NAME --url https://host/org/ --token-stdin) or an SSH deploy key (clusterctl git add NAME --url git@host:org/ --ssh-key-file FILE)"
                        : "give either --token-stdin (HTTPS) or --ssh-key-file (SSH), not both");
                }

                if (file is not null)
                {
                    request.SshPrivateKey = ReadKeyFile(file);
                    request.KnownHosts = ReadKnownHosts(parse.GetValue(knownHosts)) ?? "";
                }
                else
                {
                    if (parse.GetValue(knownHosts) is not null)
                    {
                        throw new CliException("--known-hosts pins SSH host keys; it goes with --ssh-key-file");
                    }

                    request.Token = RegistryCommands.ReadPassword(true, stdin, required: true)!;
                }
            }
            catch (CliException e)
            {
                await stderr.WriteLineAsync($"clusterctl: {e.Message}");
                return 1;
            }

            return await LeaderCall.RunAsync(parse, stderr, async leader =>
            {
                var created = await new GitCredentials.GitCredentialsClient(leader.Channel).AddGitCredentialAsync(request, leader.Call(AddDeadline));
                await WriteAsync(stdout, "added", created);
                return 0;
            });
        });
        return add;
    }

    private static Command Update(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var name = new Argument<string>("NAME");
        var tokenStdin = new Option<bool>("--token-stdin") { Description = "HTTPS: read the new token from stdin" };
        var keyFile = new Option<string?>("--ssh-key-file") { Description = "SSH: a new private key file (OpenSSH, no passphrase)" };
        var knownHosts = new Option<string?>("--known-hosts") { Description = "SSH: pin exactly the keys of this known_hosts file" };
        var rescan = new Option<bool>("--rescan-host-keys") { Description = "SSH: pin the keys the leader reads now with ssh-keyscan (after a deliberate host key change: compare the printed fingerprints)" };
        var update = new Command("update", "Replace a Git credential's token, key or pinned SSH host keys (apps keep using it)") { name, tokenStdin, keyFile, knownHosts, rescan };
        update.SetAction(async (parse, ct) =>
        {
            var request = new UpdateGitCredentialRequest { Name = parse.GetValue(name)!, RescanHostKeys = parse.GetValue(rescan) };
            try
            {
                if (parse.GetValue(keyFile) is { } file)
                {
                    request.SshPrivateKey = ReadKeyFile(file);
                }

                request.KnownHosts = ReadKnownHosts(parse.GetValue(knownHosts)) ?? "";
                if (parse.GetValue(tokenStdin))
                {
                    request.Token = RegistryCommands.ReadPassword(true, stdin, required: true)!;
                }
            }
            catch (CliException e)
            {
                await stderr.WriteLineAsync($"clusterctl: {e.Message}");
                return 1;
            }

            return await LeaderCall.RunAsync(parse, stderr, async leader =>
            {
                var updated = await new GitCredentials.GitCredentialsClient(leader.Channel).UpdateGitCredentialAsync(request, leader.Call(AddDeadline));
                await WriteAsync(stdout, "updated", updated);
                return 0;
            });
        });
        return update;
    }

    // The key file's text, checked: one OpenSSH private key without passphrase.
    internal static string ReadKeyFile(string path)
    {
        var text = ReadSmallFile(path, SshPrivateKey.MaxLength, "--ssh-key-file");
        try
        {
            SshPrivateKey.Inspect(text, path);
        }
        catch (FormatException e)
        {
            throw new CliException(e.Message);
        }

        return text;
    }

    private static string? ReadKnownHosts(string? path)
    {
        if (path is null)
        {
            return null;
        }

        var text = ReadSmallFile(path, KnownHosts.MaxLength, "--known-hosts");
        try
        {
            if (KnownHosts.Parse(text, path).Count == 0)
            {
                throw new CliException($"{path} holds no host key; `ssh-keyscan -p PORT HOST` prints the server's keys (check their fingerprints with ssh-keygen -lf FILE)");
            }
        }
        catch (FormatException e)
        {
            throw new CliException(e.Message);
        }

        return text;
    }

    private static string ReadSmallFile(string path, int maxLength, string flag)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new CliException($"{flag} {path}: no such file");
            }

            if (info.Length > maxLength)
            {
                throw new CliException($"{flag} {path}: larger than {maxLength / 1024} KiB, not what {flag} takes");
            }

            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{flag} {path}: cannot read it ({e.Message})");
        }
    }

    private static async Task WriteAsync(TextWriter stdout, string what, GitCredentialInfo info)
    {
        if (info.Kind != "ssh")
        {
            await stdout.WriteLineAsync($"git credential {info.Name} {what} for {info.UrlPrefix} (user {info.Username})");
            return;
        }

        var user = info.Username.Length > 0 ? $", user {info.Username}" : "";
        await stdout.WriteLineAsync($"git credential {info.Name} {what} for {info.UrlPrefix} (SSH key {info.KeyType} {info.KeyFingerprint}{user})");
        var host = info.HostKeys.Select(k => k.Host).FirstOrDefault() ?? "";
        await stdout.WriteLineAsync(info.HostKeysSource == "ssh-keyscan"
            ? $"pinned the host keys the leader read from {host} with ssh-keyscan; compare them with the server's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on it, or your Git host's published fingerprints):"
            : $"pinned the host keys of {host} from --known-hosts:");
        foreach (var key in info.HostKeys)
        {
            await stdout.WriteLineAsync($"  {(key.Marker.Length > 0 ? key.Marker + " " : "")}{key.Type} {key.Fingerprint}");
        }

        await stdout.WriteLineAsync("builds accept only these keys from now on");
    }

    internal sealed record GitCredentialView(
        string Name,
        string Kind,
        string Url,
        string Username,
        DateTimeOffset? CreatedAt,
        string? KeyType,
        string? KeyFingerprint,
        IReadOnlyList<HostKeyView> HostKeys,
        string? HostKeysSource)
    {
        public static GitCredentialView From(GitCredentialInfo c) => new(
            c.Name,
            c.Kind.Length > 0 ? c.Kind : "https",
            c.UrlPrefix,
            c.Username,
            c.CreatedAt?.ToDateTimeOffset(),
            c.KeyType.Length > 0 ? c.KeyType : null,
            c.KeyFingerprint.Length > 0 ? c.KeyFingerprint : null,
            c.HostKeys.Select(k => new HostKeyView(k.Host, k.Type, k.Fingerprint, k.Marker.Length > 0 ? k.Marker : null)).ToList(),
            c.HostKeysSource.Length > 0 ? c.HostKeysSource : null);
    }

    internal sealed record HostKeyView(string Host, string Type, string Fingerprint, string? Marker);
}
