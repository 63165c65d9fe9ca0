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

    public string Name => "pre-pull";

    public int Order => StepOrder.PrePull;

    public bool AppliesTo(DeploymentContext context) => true;

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

    // Null on success, else "node X: why".
    private async Task<string?> PrePullOneAsync(DeploymentContext context, SwarmNode node, string image, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var journal = context.Journal;
        string Failed(string error)
        {
            journal.Node(node.Hostname, NodeStep, StepStatus.Failed, error);
            return error;
        }

        var session = sessions.Live.FirstOrDefault(s => s.SwarmNodeId == node.Id);
        if (session is null)
        {
            return Failed($"node {node.Hostname}: no agent connected; start cluster-agent on it");
        }

        var orderId = Guid.NewGuid().ToString("N");
        var updates = reports.Subscribe(orderId);
        try
        {
            session.Send(new LeaderMessage
            {
                PrePull = new PrePullOrder { OrderId = orderId, Image = image, DeploymentId = journal.Id, Deadline = Timestamp.FromDateTimeOffset(deadline) },
            });
            journal.Node(node.Hostname, NodeStep, StepStatus.Running);
            using var timeout = new CancellationTokenSource(Remaining(deadline), time);
            using var gone = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, session.Token, cancellationToken);
            try
            {
                await foreach (var report in updates.ReadAllAsync(gone.Token))
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
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return Failed($"node {node.Hostname}: no pre-pull result within {options.PrePullDeadline.TotalSeconds:0} s (node unreachable or pull too slow)");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Failed($"node {node.Hostname}: pre-pull abandoned, the deployment was cancelled");
            }
            catch (OperationCanceledException)
            {
                return Failed($"node {node.Hostname}: its agent disconnected during the pre-pull");
            }

            return Failed($"node {node.Hostname}: its agent disconnected during the pre-pull");
        }
        finally
        {
            reports.Unsubscribe(orderId);
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
