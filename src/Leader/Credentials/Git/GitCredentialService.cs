using System.Text.RegularExpressions;
using Cluster.Core.Git;
using Cluster.Leader.Operations;
using Cluster.Leader.Security;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Credentials.Git;

// Git credentials: an HTTPS token, or an SSH private key with the server's pinned host keys.
// The secret is sealed like registry secrets (SecretBox, bound to the record id), shown never,
// and opened only to put into a build job for a builder. Which credential serves a URL: the
// named one, else the most specific prefix that serves it in any spelling (GitRemote.IsUnder).
public sealed partial class GitCredentialService(LeaderDatabase db, SecretBox secrets, SshHostKeyScanner scanner, TimeProvider time)
{
    public const string FromKnownHostsFile = "known-hosts";

    public const string FromKeyscan = "ssh-keyscan";

    public sealed record View(string Name, string UrlPrefix, string Username, DateTime CreatedAt)
    {
        public string Kind { get; init; } = GitCredentialRecord.Https;

        // SSH: the pinned host keys (public).
        public IReadOnlyList<KnownHostEntry> HostKeys { get; init; } = [];

        public string HostKeysSource { get; init; } = "";

        public string KeyFingerprint { get; init; } = "";

        public string KeyType { get; init; } = "";
    }

    // Stores a credential for URLs under `urlPrefix`: `token` for an http(s) prefix,
    // `sshPrivateKey` (+ optional `knownHosts`; without it the host's keys are scanned now) for an
    // SSH one. OperationException: InvalidArgument, AlreadyExists, Unavailable (scan failed).
    public async Task<View> AddAsync(string name, string urlPrefix, string? username, string? token, string? sshPrivateKey, string? knownHosts, string actor, CancellationToken cancellationToken)
    {
        if (!NamePattern().IsMatch(name ?? ""))
        {
            throw new OperationException(OperationError.InvalidArgument, $"Git credential name '{name}' is not valid: use 1 to 63 lowercase letters, digits or '-'");
        }

        var prefixText = (urlPrefix ?? "").Trim();
        var prefix = ParsePrefix(prefixText);
        var id = Guid.NewGuid().ToString("N");
        var record = new GitCredentialRecord { Id = id, Name = name!, UrlPrefix = prefixText, CreatedAt = time.GetUtcNow().UtcDateTime };
        if (prefix.Transport == GitTransport.Http)
        {
            if (!string.IsNullOrEmpty(sshPrivateKey) || !string.IsNullOrEmpty(knownHosts))
            {
                throw new OperationException(OperationError.InvalidArgument, $"--url {prefixText} is an https:// prefix, which takes a token (--token-stdin); SSH keys serve ssh://user@host/ or user@host: prefixes");
            }

            if (string.IsNullOrEmpty(token))
            {
                throw new OperationException(OperationError.InvalidArgument, "the token is empty: pass it on stdin with --token-stdin");
            }

            record.Kind = GitCredentialRecord.Https;
            record.Username = string.IsNullOrWhiteSpace(username) ? "x-access-token" : username.Trim();
            record.SealedToken = secrets.Seal(token, record.SecretBinding());
        }
        else
        {
            if (!string.IsNullOrEmpty(token))
            {
                throw new OperationException(OperationError.InvalidArgument, $"--url {prefixText} is an SSH prefix, which takes a private key (--ssh-key-file FILE), not a token; tokens serve https:// prefixes");
            }

            var user = (username ?? "").Trim();
            if (user.Length > 0 && prefix.User.Length > 0 && user != prefix.User)
            {
                throw new OperationException(OperationError.InvalidArgument, $"--username {user} contradicts the user '{prefix.User}' in --url {prefixText}; give the SSH user once, in the URL (git@host:org/)");
            }

            var key = CheckKey(sshPrivateKey);
            var (pins, source) = await PinAsync(prefix, knownHosts, cancellationToken);
            record.Kind = GitCredentialRecord.Ssh;
            record.Username = prefix.User.Length > 0 ? prefix.User : user;
            record.SealedToken = secrets.Seal(SshPrivateKey.Normalize(sshPrivateKey!), record.SecretBinding());
            record.KeyFingerprint = key.Fingerprint;
            record.KeyType = key.Type;
            record.KnownHosts = pins;
            record.HostKeysSource = source;
        }

        return db.Write(d =>
        {
            if (d.GitCredentials.FindOne(g => g.Name == record.Name) is not null)
            {
                throw new OperationException(OperationError.AlreadyExists, $"Git credential '{record.Name}' already exists; `clusterctl git update {record.Name}` replaces its secret or host keys");
            }

            d.GitCredentials.Insert(record);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "git.add", Target = record.Name, Details = AuditDetails(record) });
            return ToView(record);
        });
    }

    // Replaces the secret (token or private key) and/or, for SSH, the pinned host keys
    // (`knownHosts`, or `rescan` for what ssh-keyscan reads now). Name, prefix and the apps that
    // use the credential stay. OperationException: NotFound, InvalidArgument, Unavailable.
    public async Task<View> UpdateAsync(string name, string? token, string? sshPrivateKey, string? knownHosts, bool rescan, string actor, CancellationToken cancellationToken)
    {
        var current = db.Read(d => d.GitCredentials.FindOne(g => g.Name == name))
            ?? throw new OperationException(OperationError.NotFound, $"no Git credential named '{name}'; `clusterctl git list` shows them");
        string? sealedSecret = null;
        SshPublicKey? key = null;
        (string Pins, string Source)? pinned = null;
        if (current.Kind != GitCredentialRecord.Ssh)
        {
            if (!string.IsNullOrEmpty(sshPrivateKey) || !string.IsNullOrEmpty(knownHosts) || rescan)
            {
                throw new OperationException(OperationError.InvalidArgument, $"Git credential '{name}' is an HTTPS token for {current.UrlPrefix}: only --token-stdin updates it");
            }

            if (string.IsNullOrEmpty(token))
            {
                throw new OperationException(OperationError.InvalidArgument, "nothing to update: pass the new token on stdin with --token-stdin");
            }

            sealedSecret = secrets.Seal(token, current.SecretBinding());
        }
        else
        {
            if (!string.IsNullOrEmpty(token))
            {
                throw new OperationException(OperationError.InvalidArgument, $"Git credential '{name}' is an SSH key for {current.UrlPrefix}: it takes --ssh-key-file FILE, not a token");
            }

            if (!string.IsNullOrEmpty(knownHosts) && rescan)
            {
                throw new OperationException(OperationError.InvalidArgument, "give either --known-hosts FILE or --rescan-host-keys, not both");
            }

            if (string.IsNullOrEmpty(sshPrivateKey) && string.IsNullOrEmpty(knownHosts) && !rescan)
            {
                throw new OperationException(OperationError.InvalidArgument, "nothing to update: pass --ssh-key-file FILE, --known-hosts FILE or --rescan-host-keys");
            }

            if (!string.IsNullOrEmpty(sshPrivateKey))
            {
                key = CheckKey(sshPrivateKey);
                sealedSecret = secrets.Seal(SshPrivateKey.Normalize(sshPrivateKey), current.SecretBinding());
            }

            if (!string.IsNullOrEmpty(knownHosts) || rescan)
            {
                pinned = await PinAsync(ParsePrefix(current.UrlPrefix), knownHosts, cancellationToken);
            }
        }

        return db.Write(d =>
        {
            var record = d.GitCredentials.FindOne(g => g.Name == name);
            if (record is null || record.Id != current.Id)
            {
                throw new OperationException(OperationError.NotFound, $"Git credential '{name}' was removed meanwhile");
            }

            var changed = new List<string>();
            if (sealedSecret is not null)
            {
                record.SealedToken = sealedSecret;
                changed.Add(record.Kind == GitCredentialRecord.Ssh ? "key" : "token");
            }

            if (key is not null)
            {
                record.KeyFingerprint = key.Fingerprint;
                record.KeyType = key.Type;
            }

            if (pinned is { } p)
            {
                record.KnownHosts = p.Pins;
                record.HostKeysSource = p.Source;
                changed.Add("host keys");
            }

            d.GitCredentials.Update(record);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "git.update", Target = name, Details = $"changed {string.Join(", ", changed)}; {AuditDetails(record)}" });
            return ToView(record);
        });
    }

    public IReadOnlyList<View> List() =>
        db.Read(d => d.GitCredentials.FindAll().OrderBy(g => g.Name, StringComparer.Ordinal).Select(ToView).ToList());

    public View Get(string name) =>
        db.Read(d => d.GitCredentials.FindOne(g => g.Name == name)) is { } r
            ? ToView(r)
            : throw new OperationException(OperationError.NotFound, $"no Git credential named '{name}'; `clusterctl git list` shows them");

    // `app create --git URL --git-credential NAME`: NAME exists and can serve URL (an HTTPS token
    // for an http(s) URL; an SSH key, pinned for the URL's host and port, for an SSH one).
    public View CheckServes(string name, string gitUrl)
    {
        var record = db.Read(d => d.GitCredentials.FindOne(g => g.Name == name))
            ?? throw new OperationException(OperationError.NotFound, $"no Git credential named '{name}'; `clusterctl git list` shows them");
        if (Mismatch(record, GitRemote.Parse(gitUrl)) is { } why)
        {
            throw new OperationException(OperationError.InvalidArgument, why);
        }

        return ToView(record);
    }

    public void Remove(string name, string actor) =>
        db.Write(d =>
        {
            var record = d.GitCredentials.FindOne(g => g.Name == name)
                ?? throw new OperationException(OperationError.NotFound, $"no Git credential named '{name}'");
            var users = d.Apps.Find(a => a.GitCredential == name).Select(a => a.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
            if (users.Count > 0)
            {
                throw new OperationException(OperationError.FailedPrecondition, $"Git credential '{name}' is used by app(s) {string.Join(", ", users)}; remove those apps first, or replace its secret with `clusterctl git update {name}`");
            }

            d.GitCredentials.Delete(record.Id);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "git.remove", Target = name });
            return true;
        });

    // The credential for a fetch of `gitUrl`: the named one, else the one whose prefix serves
    // the URL most specifically, else none (a public http(s) or git:// repository). An SSH URL
    // always needs one: its host keys must be pinned. Only build jobs call this.
    // OperationException (FailedPrecondition) says what to add or change.
    public Protos.Build.V1.GitCredential? For(string gitUrl, string name)
    {
        GitRemote remote;
        try
        {
            remote = GitRemote.Parse(gitUrl);
        }
        catch (FormatException e)
        {
            throw new OperationException(OperationError.FailedPrecondition, $"the app's Git URL cannot be used: {e.Message}");
        }

        if (remote.Transport == GitTransport.Daemon)
        {
            return null;
        }

        GitCredentialRecord? record;
        if (name.Length > 0)
        {
            record = db.Read(d => d.GitCredentials.FindOne(g => g.Name == name))
                ?? throw new OperationException(OperationError.FailedPrecondition, $"the app names Git credential '{name}', which no longer exists");
            if (Mismatch(record, remote) is { } why)
            {
                throw new OperationException(OperationError.FailedPrecondition, why);
            }
        }
        else
        {
            record = db.Read(d => d.GitCredentials.FindAll().ToList())
                .Select(r => (Record: r, Prefix: GitRemote.TryParse(r.UrlPrefix, out var p) ? p : null))
                .Where(c => c.Prefix is not null && remote.IsUnder(c.Prefix))
                .OrderByDescending(c => c.Prefix!.Path.Length)
                .ThenByDescending(c => c.Prefix!.User.Length)
                .Select(c => c.Record)
                .FirstOrDefault();
        }

        if (record is null)
        {
            return remote.Transport == GitTransport.Ssh
                ? throw new OperationException(OperationError.FailedPrecondition, $"no Git credential serves {gitUrl}: SSH fetches need a deploy key and the server's pinned host keys; add one with `clusterctl git add NAME --url ssh://{(remote.User.Length > 0 ? remote.User + "@" : "")}{remote.Authority}/ --ssh-key-file FILE`")
                : null;
        }

        var credential = new Protos.Build.V1.GitCredential { Name = record.Name, Username = record.Username };
        if (record.Kind == GitCredentialRecord.Ssh)
        {
            credential.SshPrivateKey = secrets.Open(record.SealedToken, record.SecretBinding());
            credential.KnownHosts = record.KnownHosts;
        }
        else
        {
            credential.Token = secrets.Open(record.SealedToken, record.SecretBinding());
        }

        return credential;
    }

    private static GitRemote ParsePrefix(string prefixText)
    {
        GitRemote prefix;
        try
        {
            prefix = GitRemote.Parse(prefixText);
        }
        catch (FormatException e)
        {
            throw new OperationException(OperationError.InvalidArgument, $"--url '{prefixText}': {e.Message}");
        }

        return prefix.Transport == GitTransport.Daemon
            ? throw new OperationException(OperationError.InvalidArgument, $"--url {prefixText}: git:// serves public repositories without credentials; use the repository's https:// or SSH URL")
            : prefix;
    }

    private static SshPublicKey CheckKey(string? sshPrivateKey)
    {
        if (string.IsNullOrEmpty(sshPrivateKey))
        {
            throw new OperationException(OperationError.InvalidArgument, "an SSH prefix takes a private key: pass --ssh-key-file FILE (a deploy key without passphrase)");
        }

        try
        {
            return SshPrivateKey.Inspect(sshPrivateKey, "the key");
        }
        catch (FormatException e)
        {
            throw new OperationException(OperationError.InvalidArgument, e.Message);
        }
    }

    // The known_hosts lines to pin for `prefix`'s host: the operator's entries for it (any
    // spelling: patterns, hashed names), rewritten to name exactly that host; or the keys
    // ssh-keyscan reads now.
    private async Task<(string Pins, string Source)> PinAsync(GitRemote prefix, string? knownHosts, CancellationToken cancellationToken)
    {
        var hostKeyName = prefix.HostKeyName;
        IReadOnlyList<KnownHostEntry> entries;
        string source;
        if (!string.IsNullOrWhiteSpace(knownHosts))
        {
            try
            {
                entries = KnownHosts.Parse(knownHosts, "--known-hosts").Where(e => e.Matches(hostKeyName)).ToList();
            }
            catch (FormatException e)
            {
                throw new OperationException(OperationError.InvalidArgument, e.Message);
            }

            if (!entries.Any(e => e.Marker != "@revoked"))
            {
                throw new OperationException(OperationError.InvalidArgument, $"--known-hosts has no key for {hostKeyName} (lines for other hosts are ignored); `ssh-keyscan -p {prefix.Port} {prefix.Host}` prints the server's keys: check their fingerprints (ssh-keygen -lf FILE) before passing them");
            }

            source = FromKnownHostsFile;
        }
        else
        {
            entries = await scanner.ScanAsync(prefix, cancellationToken);
            source = FromKeyscan;
        }

        return (string.Join("", entries.Select(e => e.LineFor(hostKeyName) + "\n")), source);
    }

    private static string? Mismatch(GitCredentialRecord record, GitRemote remote)
    {
        var ssh = record.Kind == GitCredentialRecord.Ssh;
        if (remote.Transport == GitTransport.Daemon)
        {
            return null;
        }

        if (ssh != (remote.Transport == GitTransport.Ssh))
        {
            return ssh
                ? $"Git credential '{record.Name}' is an SSH key, but the app's URL is {remote.Scheme}://: use the repository's SSH URL or an HTTPS token credential"
                : $"Git credential '{record.Name}' is an HTTPS token, but the app's URL is SSH: add an SSH key (`clusterctl git add NAME --url PREFIX --ssh-key-file FILE`) or use the https:// URL";
        }

        if (ssh && GitRemote.TryParse(record.UrlPrefix, out var prefix) && prefix!.HostKeyName != remote.HostKeyName)
        {
            return $"Git credential '{record.Name}' pins the host keys of {prefix.HostKeyName}, but the app's URL is on {remote.HostKeyName}: add a credential for that host";
        }

        return null;
    }

    private static string AuditDetails(GitCredentialRecord r) =>
        r.Kind == GitCredentialRecord.Ssh
            ? $"url={r.UrlPrefix} kind=ssh username={r.Username} key={r.KeyType} {r.KeyFingerprint} hostkeys({r.HostKeysSource})={string.Join(",", Pins(r).Select(e => e.Fingerprint))}"
            : $"url={r.UrlPrefix} username={r.Username}";

    private static IReadOnlyList<KnownHostEntry> Pins(GitCredentialRecord r) =>
        r.KnownHosts.Length == 0 ? [] : KnownHosts.Parse(r.KnownHosts, "the pinned host keys");

    private static View ToView(GitCredentialRecord r) => new(r.Name, r.UrlPrefix, r.Username, r.CreatedAt)
    {
        Kind = r.Kind == GitCredentialRecord.Ssh ? GitCredentialRecord.Ssh : GitCredentialRecord.Https,
        HostKeys = Pins(r),
        HostKeysSource = r.HostKeysSource,
        KeyFingerprint = r.KeyFingerprint,
        KeyType = r.KeyType,
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex NamePattern();
}
