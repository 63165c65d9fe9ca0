using System.Diagnostics;
using System.Text;
using Cluster.BuildServer.Jobs;

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
// the URL (git may print URLs), and never written to disk. No user or system git config is read
// (GIT_CONFIG_NOSYSTEM, HOME set to the job directory) and git never prompts.
internal sealed class GitFetcher(TimeSpan bound)
{
    public const string AuthHeaderVariable = "CLUSTER_GIT_AUTH_HEADER";

    // Any one git command is stopped after this, whatever the job's own deadline.
    public static readonly TimeSpan DefaultBound = TimeSpan.FromMinutes(30);

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
        var env = Environment(jobDir, auth);
        var wanted = string.IsNullOrWhiteSpace(gitRef) ? "HEAD" : gitRef.Trim();
        if (wanted.StartsWith('-'))
        {
            throw new BuildFailure("fetch", $"--ref '{gitRef}' is not a branch, tag or commit");
        }

        await RunAsync(["--git-dir", gitDir, "init", "-q", "--bare"], env, auth, cancellationToken);
        log($"fetching {url} {(string.IsNullOrWhiteSpace(gitRef) ? "(default branch)" : wanted)}");
        var fetch = await RunAsync([.. AuthArgs(auth), "--git-dir", gitDir, "fetch", "-q", "--depth", "1", "--no-tags", "--", url, wanted], env, auth, cancellationToken, check: false);
        if (fetch.ExitCode != 0 && IsFullSha(wanted))
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
            throw new BuildFailure("fetch", $"cannot fetch {wanted} from {url}: {Explain(fetch.Error, auth)}", lastLines: Tail(fetch.Error));
        }

        await RunAsync(["--git-dir", gitDir, "--work-tree", workTree, "checkout", "-q", "--force", "FETCH_HEAD", "--", "."], env, auth, cancellationToken);
        var commit = (await RunAsync(["--git-dir", gitDir, "rev-parse", "FETCH_HEAD^{commit}"], env, auth, cancellationToken)).Output.Trim();
        log($"fetched commit {commit}");
        return commit;
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
            // Only non-interactive SSH with pinned host keys (known_hosts from the credential).
            ["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes",
        };
        if (auth is { Token.Length: > 0 })
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{(auth.Username.Length > 0 ? auth.Username : "x-access-token")}:{auth.Token}"));
            env[AuthHeaderVariable] = "Authorization: Basic " + basic;
        }

        return env;
    }

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
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new BuildFailure("fetch", "cannot start git; install it on the build server (apt-get install git)");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(bound);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new BuildFailure("fetch", $"git {args.FirstOrDefault(a => !a.StartsWith('-'))} did not finish within {bound.TotalMinutes:0} min");
        }

        var result = (process.ExitCode, await output, Scrub(await error, auth));
        if (check && result.ExitCode != 0)
        {
            throw new BuildFailure("fetch", $"git failed: {Tail(result.Item3).LastOrDefault() ?? $"exit code {result.ExitCode}"}", lastLines: Tail(result.Item3));
        }

        return result;
    }

    // Defence in depth: git does not print the header, but nothing it prints may carry the token.
    private static string Scrub(string text, GitAuth? auth) =>
        auth is { Token.Length: > 0 } ? text.Replace(auth.Token, "***", StringComparison.Ordinal) : text;
}
