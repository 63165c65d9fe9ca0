using Cluster.Leader.Credentials.Git;
using Cluster.Leader.Operations;
using Cluster.Protos.Build.V1;

namespace Cluster.Leader.Builds;

// Reads a Git branch's head commit for Auto-Sync by asking a connected build server
// (BuildOrder.head_check -> BuilderMessage.head: `git ls-remote` there, no clone).
//
// Why on a build server and not on the leader: the build server already speaks Git the one
// audited way (GitFetcher: the git CLI, the HTTPS token as a header read from the environment,
// the SSH key in a per-fetch ssh-agent, host keys pinned, no config read, nothing on disk), it is
// the machine that must reach the Git server anyway (it fetches the commit the check finds), and
// Git secrets already go to build servers only, per job (issue #10). Checking on the leader
// would need git, ssh and ssh-agent installed there, a second copy of that credential code, and
// the leader handing its sealed keys to child processes of its own. The cost: with no build
// server connected the check fails (shown as failed, deciding nothing), which is right anyway,
// since without one the new commit cannot be built.
public sealed class BuilderGitHeads(BuilderRegistry builders, GitCredentialService gitCredentials, TimeProvider time)
{
    // The leader's bound on one check (the builder gives up after 60 s itself).
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(75);

    // Never throws for a failed check: GitHead.Error says what failed, naming the URL and the
    // build server, in the builder's own (printable, bounded) words.
    public async Task<GitHead> HeadAsync(string gitUrl, string gitRef, string credentialName, CancellationToken cancellationToken)
    {
        GitCredential? credential;
        try
        {
            credential = gitCredentials.For(gitUrl, credentialName);
        }
        catch (OperationException e)
        {
            return GitHead.Failed($"cannot check {gitUrl}: {e.Message}");
        }

        var builder = builders.Live.Where(b => !b.Token.IsCancellationRequested)
            .OrderBy(b => b.Jobs.Count + b.HeadChecks.Count).ThenBy(b => b.Hostname, StringComparer.Ordinal).FirstOrDefault();
        if (builder is null)
        {
            return GitHead.Failed("no build server is connected to read the branch head (the leader asks one); start cluster-builder on a node (`clusterctl node list` shows builders)");
        }

        var check = new GitHeadCheck { CheckId = "h" + Guid.NewGuid().ToString("N")[..15], GitUrl = gitUrl, GitRef = gitRef };
        if (credential is not null)
        {
            check.GitCredential = credential;
        }

        var answer = new TaskCompletionSource<GitHeadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        builder.HeadChecks[check.CheckId] = answer;
        try
        {
            if (!builder.Send(new BuildOrder { HeadCheck = check }))
            {
                return GitHead.Failed($"the build server {builder.Hostname} disconnected before the check was sent");
            }

            GitHeadResult result;
            try
            {
                result = await answer.Task.WaitAsync(Timeout, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return GitHead.Failed($"the build server {builder.Hostname} did not answer the check of {gitUrl} within {Timeout.TotalSeconds:0} s");
            }

            // The builder's own text, printable and bounded like its log lines.
            return result.Ok && IsCommit(result.Commit)
                ? new GitHead(true, result.Commit.ToLowerInvariant(), "")
                : GitHead.Failed(result.Ok
                    ? $"the build server {builder.Hostname} answered no commit for {gitUrl}"
                    : $"{Agents.AgentLimits.Printable(result.Error)} (checked on build server {builder.Hostname})");
        }
        finally
        {
            builder.HeadChecks.TryRemove(check.CheckId, out _);
        }
    }

    private static bool IsCommit(string value) => value.Length is 40 or 64 && value.All(char.IsAsciiHexDigit);
}
