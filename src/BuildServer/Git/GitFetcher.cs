using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Cluster.BuildServer.Jobs;
using Cluster.Core.Git;
using Cluster.Core.Processes;

namespace Cluster.BuildServer.Git;

// Fetches exactly one commit of a repository into a work tree, shallowly, and says which commit
// it is. It drives the git CLI rather than a library: git is the reference implementation of
// every transport (smart HTTP, SSH, git://, dumb HTTP), of credential and proxy settings and of
// shallow fetches, is kept up to date by the distribution's security updates, and is what users'
// own CI does, so a repository that clones for them clones here. (LibGit2Sharp lacks shallow
// fetch and SSH without a native rebuild.)
//
// Secrets: an HTTPS token travels as an "Authorization: Basic" header that git reads from an
// environment variable (`--config-env`), so it is never in argv (visible in /proc), never in
// the URL (git may print URLs), and never written to disk. An SSH key goes into a private
// ssh-agent started for the fetch (SshAgent: fed on stdin, killed by pid afterwards); ssh
// authenticates through it and checks the server against the credential's pinned host keys
// only (StrictHostKeyChecking=yes, UserKnownHostsFile = the pins, no global known_hosts, no
// ssh_config). No user or system git config is read (GIT_CONFIG_NOSYSTEM, HOME set to the job
// directory) and neither git nor ssh ever prompts.
internal sealed partial class GitFetcher(TimeSpan bound)
{
    public const string AuthHeaderVariable = "CLUSTER_GIT_AUTH_HEADER";

    // Any one git command is stopped after this, whatever the job's own deadline.
    public static readonly TimeSpan DefaultBound = TimeSpan.FromMinutes(30);

    // Per stream: far above what fetch -q, ls-remote of a ref or two, or rev-parse print. Past
    // it stderr keeps its end (ChildProcess), where Explain and Tail read git's error.
    private const int MaxOutputBytes = 4 * 1024 * 1024;

    public GitFetcher()
        : this(DefaultBound)
    {
    }

    // Fetches `gitRef` (branch, tag, full commit SHA; the remote's HEAD when empty) of `url` and
    // checks it out into `workTree` (which holds no .git: the build context is the source only).
    // Returns the full commit SHA.
    public async Task<string> FetchAsync(string url, string gitRef, string jobDir, string workTree, GitAuth? auth, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        var gitDir = Path.Combine(jobDir, "git");
        Directory.CreateDirectory(gitDir);
        Directory.CreateDirectory(workTree);
        var remote = GitRemote.TryParse(url, out var r) ? r : null;
        var env = Environment(jobDir, auth);
        var wanted = string.IsNullOrWhiteSpace(gitRef) ? "HEAD" : gitRef.Trim();
        if (wanted.StartsWith('-'))
        {
            throw new BuildFailure("fetch", $"--ref '{gitRef}' is not a branch, tag or commit");
        }

        await RunAsync(["--git-dir", gitDir, "init", "-q", "--bare"], env, auth, cancellationToken);
        log($"fetching {url} {(string.IsNullOrWhiteSpace(gitRef) ? "(default branch)" : wanted)}");
        SshAgent? agent = null;
        try
        {
            if (remote?.Transport == GitTransport.Ssh)
            {
                agent = await UseSshAsync(remote, jobDir, auth, env, log, cancellationToken);
            }

            var fetch = await RunAsync([.. AuthArgs(auth), "--git-dir", gitDir, "fetch", "-q", "--depth", "1", "--no-tags", "--", url, wanted], env, auth, cancellationToken, check: false);
            if (fetch.ExitCode != 0 && IsFullSha(wanted) && !IsConnectionFailure(fetch.Error))
            {
                // Servers that do not allow fetching an unadvertised commit: fetch branches and tags
                // (still depth-limited history is not possible for an arbitrary commit) and look it up.
                log($"the server does not serve commit {wanted[..12]} directly; fetching its branches and tags");
                fetch = await RunAsync([.. AuthArgs(auth), "--git-dir", gitDir, "fetch", "-q", "--no-tags", "--", url, "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"], env, auth, cancellationToken, check: false);
                if (fetch.ExitCode == 0)
                {
                    await RunAsync(["--git-dir", gitDir, "update-ref", "FETCH_HEAD", wanted], env, auth, cancellationToken);
                }
            }

            if (fetch.ExitCode != 0)
            {
                var why = remote?.Transport == GitTransport.Ssh ? ExplainSsh(url, remote, fetch.Error, auth) : $"cannot fetch {wanted} from {url}: {Explain(fetch.Error, auth)}";
                throw new BuildFailure("fetch", why, lastLines: Tail(fetch.Error));
            }
        }
        finally
        {
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }
        }

        await RunAsync(["--git-dir", gitDir, "--work-tree", workTree, "checkout", "-q", "--force", "FETCH_HEAD", "--", "."], env, auth, cancellationToken);
        var commit = (await RunAsync(["--git-dir", gitDir, "rev-parse", "FETCH_HEAD^{commit}"], env, auth, cancellationToken)).Output.Trim();
        log($"fetched commit {commit}");
        return commit;
    }

    // Which commit `gitRef` (a branch; the remote's HEAD when empty) of `url` points at now, as
    // `git ls-remote` reads it from the server: no object is fetched and no work tree made. The
    // credential travels exactly as for FetchAsync (jobDir holds only the pinned host keys and the
    // public key). A tag or a commit SHA is refused (they never move, so there is nothing to
    // follow); so is a branch the server does not have. BuildFailure ("fetch") says what failed.
    public async Task<string> HeadAsync(string url, string gitRef, string jobDir, GitAuth? auth, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(jobDir);
        var remote = GitRemote.TryParse(url, out var r) ? r : null;
        var env = Environment(jobDir, auth);
        var branch = (gitRef ?? "").Trim();
        if (branch.StartsWith('-') || branch.StartsWith("refs/", StringComparison.Ordinal) && !branch.StartsWith("refs/heads/", StringComparison.Ordinal))
        {
            throw new BuildFailure("fetch", $"--ref '{gitRef}' is not a branch");
        }

        if (IsFullSha(branch))
        {
            throw new BuildFailure("fetch", $"--ref {branch} is a commit, which never moves: Auto-Sync follows branches");
        }

        branch = branch.StartsWith("refs/heads/", StringComparison.Ordinal) ? branch["refs/heads/".Length..] : branch;
        string[] patterns = branch.Length == 0 ? ["HEAD"] : [$"refs/heads/{branch}", $"refs/tags/{branch}"];
        SshAgent? agent = null;
        (int ExitCode, string Output, string Error) listed;
        try
        {
            if (remote?.Transport == GitTransport.Ssh)
            {
                agent = await UseSshAsync(remote, jobDir, auth, env, _ => { }, cancellationToken);
            }

            listed = await RunAsync([.. AuthArgs(auth), "ls-remote", "--", url, .. patterns], env, auth, cancellationToken, check: false);
        }
        finally
        {
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }
        }

        if (listed.ExitCode != 0)
        {
            var why = remote?.Transport == GitTransport.Ssh
                ? ExplainSsh(url, remote, listed.Error, auth).Replace("cannot fetch ", "cannot read the branch head of ", StringComparison.Ordinal)
                : $"cannot read the branch head of {url}: {Explain(listed.Error, auth)}";
            throw new BuildFailure("fetch", why, lastLines: Tail(listed.Error));
        }

        var refs = listed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t'))
            .Where(parts => parts.Length == 2 && IsFullSha(parts[0]))
            .ToDictionary(parts => parts[1], parts => parts[0], StringComparer.Ordinal);
        if (refs.TryGetValue(patterns[0], out var commit))
        {
            return commit;
        }

        if (branch.Length > 0 && refs.ContainsKey($"refs/tags/{branch}"))
        {
            throw new BuildFailure("fetch", $"'{branch}' is a tag of {url}, not a branch: tags do not move, so Auto-Sync does not follow them (deploy a new tag with `clusterctl app set` and `clusterctl deploy`, or follow a branch)");
        }

        throw new BuildFailure("fetch", branch.Length == 0
            ? $"{url} names no default branch (HEAD); give the app a branch with --ref"
            : $"{url} has no branch '{branch}'; check --ref");
    }

    public static bool IsFullSha(string value) =>
        value.Length is 40 or 64 && value.All(char.IsAsciiHexDigitLower);

    private static string[] AuthArgs(GitAuth? auth) =>
        auth is { Token.Length: > 0 } ? ["--config-env", $"http.extraHeader={AuthHeaderVariable}"] : [];

    private static Dictionary<string, string> Environment(string jobDir, GitAuth? auth)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_ASKPASS"] = "/bin/false",
            ["SSH_ASKPASS"] = "/bin/false",
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["HOME"] = jobDir,
            ["LC_ALL"] = "C",
            ["GIT_ALLOW_PROTOCOL"] = "https:http:git:ssh",
            // Without a credential SSH trusts no host key at all (the leader refuses SSH URLs
            // without one; this keeps a job that slipped through from trusting anything).
            ["GIT_SSH_COMMAND"] = SshCommand(null, null, null, ""),
        };
        if (auth is { Token.Length: > 0 })
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{(auth.Username.Length > 0 ? auth.Username : "x-access-token")}:{auth.Token}"));
            env[AuthHeaderVariable] = "Authorization: Basic " + basic;
        }

        return env;
    }

    // The ssh that git runs: no ssh_config, the pinned host keys as the only known_hosts (and
    // never updated), only the agent's one key, public-key authentication only, never a prompt.
    // Paths are shell-quoted (git runs this through sh) and %-escaped (ssh expands % tokens).
    internal static string SshCommand(string? knownHosts, string? agentSocket, string? publicKey, string user)
    {
        var options = new List<string>
        {
            "-F", "/dev/null",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=" + Quote(knownHosts ?? "/dev/null"),
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "UpdateHostKeys=no",
            "-o", "CheckHostIP=no",
            "-o", "PreferredAuthentications=publickey",
            "-o", "PasswordAuthentication=no",
            "-o", "KbdInteractiveAuthentication=no",
            "-o", "ForwardAgent=no",
            "-o", "ClearAllForwardings=yes",
            "-o", "ConnectTimeout=30",
        };
        if (agentSocket is not null && publicKey is not null)
        {
            options.AddRange(["-o", "IdentityAgent=" + Quote(agentSocket), "-o", "IdentityFile=" + Quote(publicKey), "-o", "IdentitiesOnly=yes"]);
        }
        else
        {
            options.AddRange(["-o", "IdentityAgent=none", "-o", "IdentityFile=/dev/null", "-o", "IdentitiesOnly=yes"]);
        }

        if (user.Length > 0)
        {
            options.AddRange(["-o", "User=" + Quote(user)]);
        }

        return "ssh " + string.Join(' ', options);
    }

    // For an SSH URL: the pinned host keys as this fetch's only known_hosts file, the key in a
    // fresh agent, the public half as the one identity to offer. Files under jobDir/ssh hold
    // only public data.
    private static async Task<SshAgent?> UseSshAsync(GitRemote remote, string jobDir, GitAuth? auth, Dictionary<string, string> env, Action<string> log, CancellationToken cancellationToken)
    {
        if (auth is not { IsSsh: true })
        {
            return null;
        }

        var dir = Path.Combine(jobDir, "ssh");
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var knownHosts = Path.Combine(dir, "known_hosts");
        await File.WriteAllTextAsync(knownHosts, auth.KnownHosts, cancellationToken);
        SshPublicKey key;
        try
        {
            key = SshPrivateKey.Inspect(auth.SshPrivateKey, $"the private key of {auth.Label}");
        }
        catch (FormatException e)
        {
            throw new BuildFailure("fetch", $"{e.Message}; replace it with `clusterctl git update {NameOrPlaceholder(auth)} --ssh-key-file FILE`");
        }

        var publicKey = Path.Combine(dir, "id.pub");
        await File.WriteAllTextAsync(publicKey, key.Line + "\n", cancellationToken);
        var agent = await SshAgent.StartAsync(SshPrivateKey.Normalize(auth.SshPrivateKey), auth.Label, DefaultBound, cancellationToken);
        env["SSH_AUTH_SOCK"] = agent.SocketPath;
        env["GIT_SSH_COMMAND"] = SshCommand(knownHosts, agent.SocketPath, publicKey, remote.User.Length == 0 ? auth.Username : "");
        var pinned = PinnedFor(auth, remote);
        log($"SSH: key {key.Type} {key.Fingerprint} of {auth.Label}, host keys pinned for {remote.HostKeyName}: {(pinned.Count == 0 ? "none" : string.Join(", ", pinned.Select(e => e.Fingerprint)))}");
        return agent;
    }

    // One line that says what went wrong with an SSH fetch and what to do, naming the URL.
    private static string ExplainSsh(string url, GitRemote remote, string stderr, GitAuth? auth)
    {
        var host = remote.HostKeyName;
        var name = auth is null ? "" : NameOrPlaceholder(auth);
        if (auth is not { IsSsh: true })
        {
            return $"cannot fetch {url}: SSH fetches need a Git credential with a deploy key and the server's pinned host keys; add one (`clusterctl git add NAME --url ssh://{(remote.User.Length > 0 ? remote.User + "@" : "")}{remote.Authority}/ --ssh-key-file FILE`)";
        }

        var pinned = PinnedFor(auth, remote);
        var expected = pinned.Count == 0 ? "none" : string.Join(", ", pinned.Select(e => $"{e.Fingerprint} ({e.KeyType})"));
        var offered = OfferedFingerprint().Match(stderr) is { Success: true } m ? $"; the server now shows {m.Groups[2].Value} ({m.Groups[1].Value})" : "";
        if (stderr.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal) ||
            stderr.Contains("has changed and you have requested strict checking", StringComparison.Ordinal) ||
            (pinned.Count > 0 && stderr.Contains("host key is known for", StringComparison.Ordinal)))
        {
            return $"cannot fetch {url}: the SSH host key of {host} is not the pinned one (expected {expected}{offered}); if the server's key was changed on purpose, confirm the new fingerprint with its admin and pin it (`clusterctl git update {name} --rescan-host-keys` or --known-hosts FILE), otherwise something stands between the build server and the Git server";
        }

        if (stderr.Contains("host key is known for", StringComparison.Ordinal) || stderr.Contains("Host key verification failed", StringComparison.Ordinal))
        {
            return $"cannot fetch {url}: no host key of {host} is pinned ({auth.Label} pins other hosts' keys); add a Git credential for {remote.Authority} (`clusterctl git add NAME --url ssh://{remote.Authority}/ --ssh-key-file FILE`)";
        }

        if (stderr.Contains("Permission denied", StringComparison.Ordinal))
        {
            string fingerprint;
            try
            {
                fingerprint = SshPrivateKey.Inspect(auth.SshPrivateKey, "key").Fingerprint;
            }
            catch (FormatException)
            {
                fingerprint = "?";
            }

            var login = remote.User.Length > 0 ? remote.User : auth.Username.Length > 0 ? auth.Username : "the build server's user";
            return $"cannot fetch {url}: the SSH server {remote.Authority} refused the key of {auth.Label} ({fingerprint}) for user {login}; register its public key as a deploy key with read access to this repository, or replace it (`clusterctl git update {name} --ssh-key-file FILE`)";
        }

        if (ResolveFailure().Match(stderr) is { Success: true } resolve)
        {
            return $"cannot fetch {url}: the build server cannot resolve the host name {remote.Host} ({resolve.Groups[1].Value.Trim()}); check the URL and the build server's DNS";
        }

        if (ConnectFailure().Match(stderr) is { Success: true } connect)
        {
            return $"cannot fetch {url}: {remote.Authority} is unreachable from the build server ({connect.Groups[1].Value.Trim()}); check the host, the port ({remote.Port.ToString(CultureInfo.InvariantCulture)}) and firewalls";
        }

        if (stderr.Contains("Connection closed by", StringComparison.Ordinal) || stderr.Contains("kex_exchange_identification", StringComparison.Ordinal) || stderr.Contains("banner exchange", StringComparison.Ordinal))
        {
            return $"cannot fetch {url}: {remote.Authority} closed the connection before SSH was set up (is it an SSH server? is the port right?)";
        }

        if (stderr.Contains("does not appear to be a git repository", StringComparison.Ordinal) || stderr.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            return $"cannot fetch {url}: the server has no repository at that path (or hides it from this key); check the URL";
        }

        return $"cannot fetch {url}: {Explain(stderr, auth)}";
    }

    private static List<KnownHostEntry> PinnedFor(GitAuth auth, GitRemote remote)
    {
        try
        {
            return KnownHosts.Parse(auth.KnownHosts, "the pinned host keys").Where(e => e.Matches(remote.HostKeyName) && e.Marker != "@revoked").ToList();
        }
        catch (FormatException)
        {
            return [];
        }
    }

    private static bool IsConnectionFailure(string stderr) =>
        stderr.Contains("Host key verification failed", StringComparison.Ordinal) ||
        stderr.Contains("Permission denied (publickey", StringComparison.Ordinal) ||
        ResolveFailure().IsMatch(stderr) ||
        ConnectFailure().IsMatch(stderr);

    private static string NameOrPlaceholder(GitAuth auth) => auth.Name.Length > 0 ? auth.Name : "NAME";

    // Single-quoted for sh, with ssh's % tokens escaped.
    private static string Quote(string value) =>
        "'" + value.Replace("%", "%%", StringComparison.Ordinal).Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"fingerprint for the (\S+) key sent by the remote host is\s+(SHA256:[A-Za-z0-9+/]+)")]
    private static partial Regex OfferedFingerprint();

    [GeneratedRegex(@"Could not resolve hostname [^:]+:([^\n]*)")]
    private static partial Regex ResolveFailure();

    [GeneratedRegex(@"connect to host \S+ port \d+:([^\n]*)")]
    private static partial Regex ConnectFailure();

    private static string Explain(string stderr, GitAuth? auth)
    {
        var last = Tail(stderr).LastOrDefault(l => l.Length > 0) ?? "git failed";
        if (stderr.Contains("Authentication failed", StringComparison.OrdinalIgnoreCase) ||
            stderr.Contains("could not read Username", StringComparison.OrdinalIgnoreCase) ||
            stderr.Contains("403", StringComparison.Ordinal))
        {
            return auth is null
                ? $"{last}; the repository is private: add a Git credential (`clusterctl git add NAME --url PREFIX --token-stdin`) and create the app with --git-credential NAME"
                : $"{last}; the Git credential was refused: check the token and that it may read this repository";
        }

        if (stderr.Contains("couldn't find remote ref", StringComparison.OrdinalIgnoreCase) ||
            stderr.Contains("not our ref", StringComparison.OrdinalIgnoreCase))
        {
            return $"{last}; check --ref (a branch, tag or full commit SHA that exists in the repository)";
        }

        return last;
    }

    private static List<string> Tail(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).TakeLast(10).ToList();

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(
        IReadOnlyList<string> args, IReadOnlyDictionary<string, string> env, GitAuth? auth, CancellationToken cancellationToken, bool check = true)
    {
        ChildProcessResult run;
        try
        {
            run = await ChildProcess.RunAsync(
                new ChildProcessRequest { FileName = "git", Arguments = args, Environment = env, Timeout = bound, MaxOutputBytes = MaxOutputBytes },
                cancellationToken: cancellationToken);
        }
        catch (ChildProcessStartException)
        {
            throw new BuildFailure("fetch", "cannot start git; install it on the build server (apt-get install git)");
        }

        if (run.TimedOut)
        {
            throw new BuildFailure("fetch", $"git {args.FirstOrDefault(a => !a.StartsWith('-'))} did not finish within {bound.TotalMinutes:0} min");
        }

        var result = (run.ExitCode, run.Output, Scrub(run.Error, auth));
        if (check && result.ExitCode != 0)
        {
            throw new BuildFailure("fetch", $"git failed: {Tail(result.Item3).LastOrDefault() ?? $"exit code {result.ExitCode}"}", lastLines: Tail(result.Item3));
        }

        return result;
    }

    // Defence in depth: git and ssh do not print the header or the key, but nothing they print
    // may carry the token or any line of the key.
    private static string Scrub(string text, GitAuth? auth)
    {
        if (auth is { Token.Length: > 0 })
        {
            text = text.Replace(auth.Token, "***", StringComparison.Ordinal);
        }

        if (auth is { IsSsh: true })
        {
            foreach (var line in auth.SshPrivateKey.Split('\n').Select(l => l.Trim()).Where(l => l.Length >= 16 && !l.StartsWith("-----", StringComparison.Ordinal)))
            {
                text = text.Replace(line, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }
}
