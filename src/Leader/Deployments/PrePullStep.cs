using Cluster.Core.Docker;
using Cluster.Leader.Agents;
using Cluster.Leader.Storage;
using Cluster.Protos.Agent.V1;
using Google.Protobuf.WellKnownTypes;

namespace Cluster.Leader.Deployments;

// Step "pre-pull": every target node pulls repo@digest through its agent, in parallel, before
// the service is touched. This is where a deployment waits for pre-pulls, and the only place
// that can tell the user why a node cannot get the image (swarm would only say "No such image").
// Any node failing, or not answering by the deadline, stops the deployment, naming each node.
public sealed class PrePullStep(SessionRegistry sessions, PrePullReports reports, DeploymentOptions options, TimeProvider time) : IDeploymentStep
{
    public const string NodeStep = "pre-pull";

    // How often to look for an agent's new session after its session dropped.
    private static readonly TimeSpan ReconnectPoll = TimeSpan.FromMilliseconds(250);

    public string Name => "pre-pull";

    public int Order => StepOrder.PrePull;

    // Not for an image kept local by a registry-less build: it is already on the only node.
    public bool AppliesTo(DeploymentContext context) => context is { LocalImage: false };

    public async Task<StepOutcome> RunAsync(DeploymentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var image = context.PinnedReference;
        var targets = context.Targets;
        context.Journal.Say($"pre-pulling {image.Canonical} on {targets.Count} node{(targets.Count == 1 ? "" : "s")}: {string.Join(", ", targets.Select(t => t.Hostname))}");
        var deadline = time.GetUtcNow() + options.PrePullDeadline;
        var results = await Task.WhenAll(targets.Select(node => PrePullOneAsync(context, node, image.Canonical, deadline, cancellationToken)));
        var failures = results.Where(r => r is not null).ToList();
        return failures.Count > 0
            ? StepOutcome.Failed($"pre-pull failed, service not touched: {string.Join("; ", failures)}")
            : StepOutcome.Next;
    }

    // Null on success, else "node X: why". A session that drops during the pull is not a
    // failure: the agent keeps its result and reports it on its next session, and the order is
    // sent again there in case it was lost with the old one (the agent runs an order id once at
    // a time). Results are matched by order id, whichever session brings them; only the
    // deadline (or cancellation) ends the wait.
    private async Task<string?> PrePullOneAsync(DeploymentContext context, SwarmNode node, string image, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var journal = context.Journal;
        string Failed(string error)
        {
            journal.Node(node.Hostname, NodeStep, StepStatus.Failed, error);
            return error;
        }

        var session = SessionOf(node, previous: null);
        if (session is null)
        {
            return Failed($"node {node.Hostname}: no agent connected; start cluster-agent on it");
        }

        var orderId = Guid.NewGuid().ToString("N");
        var order = new LeaderMessage
        {
            PrePull = new PrePullOrder { OrderId = orderId, Image = image, DeploymentId = journal.Id, Deadline = Timestamp.FromDateTimeOffset(deadline) },
        };
        var updates = reports.Subscribe(orderId);
        var reconnects = 0;
        try
        {
            using var timeout = new CancellationTokenSource(Remaining(deadline), time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            session.Send(order);
            journal.Node(node.Hostname, NodeStep, StepStatus.Running);
            try
            {
                while (true)
                {
                    using var live = CancellationTokenSource.CreateLinkedTokenSource(wait.Token, session.Token);
                    try
                    {
                        while (await updates.WaitToReadAsync(live.Token))
                        {
                            while (updates.TryRead(out var report))
                            {
                                if (report.KindCase == AgentMessage.KindOneofCase.PrePullProgress)
                                {
                                    journal.NodeProgress(node.Hostname, NodeStep, report.PrePullProgress.BytesDone, report.PrePullProgress.BytesTotal);
                                    continue;
                                }

                                var result = report.PrePullResult;
                                if (result.Ok)
                                {
                                    journal.Node(node.Hostname, NodeStep, StepStatus.Ok);
                                    return null;
                                }

                                var why = string.IsNullOrEmpty(result.Message) ? result.Failure.ToString() : result.Message;
                                return Failed($"node {node.Hostname}: {Describe(result.Failure)}: {why}");
                            }
                        }

                        return Failed($"node {node.Hostname}: pre-pull abandoned");
                    }
                    catch (OperationCanceledException) when (!wait.IsCancellationRequested)
                    {
                        // The session ended; wait for the agent's next one.
                        journal.Say($"node {node.Hostname}: agent session ended during the pre-pull; waiting for it to reconnect");
                        session = await NextSessionAsync(node, session, wait.Token);
                        reconnects++;
                        session.Send(order);
                    }
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var within = $"within {options.PrePullDeadline.TotalSeconds:0} s";
                return Failed(reconnects > 0 || session.Token.IsCancellationRequested
                    ? $"node {node.Hostname}: its agent disconnected during the pre-pull and reported no result {within}"
                    : $"node {node.Hostname}: no pre-pull result {within} (node unreachable or pull too slow)");
            }
            catch (OperationCanceledException)
            {
                return Failed($"node {node.Hostname}: pre-pull abandoned, the deployment was cancelled");
            }
        }
        finally
        {
            reports.Unsubscribe(orderId);
        }
    }

    // The node's live session, other than `previous`.
    private AgentSession? SessionOf(SwarmNode node, AgentSession? previous) =>
        sessions.Live.FirstOrDefault(s => s.SwarmNodeId == node.Id && !ReferenceEquals(s, previous) && !s.Token.IsCancellationRequested);

    private async Task<AgentSession> NextSessionAsync(SwarmNode node, AgentSession previous, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (SessionOf(node, previous) is { } next)
            {
                return next;
            }

            await Task.Delay(ReconnectPoll, time, cancellationToken);
        }
    }

    private TimeSpan Remaining(DateTimeOffset deadline) =>
        deadline - time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    private static string Describe(FailureKind kind) => kind switch
    {
        FailureKind.Unauthorized => "unauthorized",
        FailureKind.Forbidden => "forbidden",
        FailureKind.NotFound => "not found",
        FailureKind.Unreachable => "registry unreachable",
        FailureKind.Tls => "TLS failure",
        FailureKind.RateLimited => "rate limited",
        FailureKind.NoSpace => "no space left",
        FailureKind.Engine => "engine failure",
        FailureKind.Deadline => "deadline passed",
        _ => "failed",
    };
}
