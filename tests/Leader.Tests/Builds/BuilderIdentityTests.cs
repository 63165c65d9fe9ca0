using System.Security.Cryptography.X509Certificates;
using Cluster.Leader.Tests.Support;
using Cluster.Protos.Admin.V1;
using Cluster.Protos.Build.V1;
using Cluster.Protos.Join.V1;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.Builds;

// A builder's swarm identity (issue #9 item 6, for builders): the leader in-process, a fake
// engine that lists a two-node swarm (the leader's own manager node and a worker), and builders
// joined with real node certificates. A builder is bound at enrollment to the swarm node it
// claimed; its sessions may claim only that one (the leader routes registry-less builds to the
// builder whose session is on the leader's node), and a second builder cannot take a swarm node
// from a live one, at its hello or at its join.
public sealed class BuilderIdentityTests : IAsyncLifetime
{
    private const string LeaderNode = "leadernode0000000000000001";
    private const string WorkerNode = "workernode0000000000000002";
    // The leader's clock: a test moves it past how long a node counts as seen instead of waiting.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private FakeSwarmEngine _engine = null!;
    private InProcessLeader _leader = null!;

    public async Task InitializeAsync()
    {
        _engine = await FakeSwarmEngine.StartAsync((LeaderNode, "leader-host", "manager"), (WorkerNode, "worker-host", "worker"));
        // Heartbeats every second: a node seen more than 3 s ago counts as gone, unless live.
        _leader = await InProcessLeader.StartAsync(_time, "--docker-host", _engine.DockerHost, "--heartbeat-period", "1");
    }

    public async Task DisposeAsync()
    {
        await _leader.DisposeAsync();
        await _engine.DisposeAsync();
    }

    [Fact]
    public async Task Hello_ClaimsTheLeadersNodeWhileBoundToAWorker_IsRefusedAndNeverServed()
    {
        var (builder, _) = await NodeEnrollment.JoinAsync(_leader, "worker-host", role: Role.Builder, swarmNodeId: WorkerNode);

        var posing = await RefusedHelloAsync(builder, LeaderNode);
        await using (var own = await BuilderSessionClient.OpenAsync(_leader, builder, WorkerNode))
        {
            Assert.Equal(WorkerNode, (await BuilderOfAsync()).SwarmNodeId);
        }

        Assert.Equal(StatusCode.PermissionDenied, posing.StatusCode);
        Assert.Equal("swarm-node-mismatch", posing.Trailers.GetValue("cluster-refusal"));
        Assert.Contains($"bound to swarm node {WorkerNode}", posing.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondBuilder_HelloClaimingALiveBuildersSwarmNode_IsRefused()
    {
        var (first, _) = await NodeEnrollment.JoinAsync(_leader, "leader-host", role: Role.Builder, swarmNodeId: LeaderNode);
        // Joined while its engine was in no swarm: bound at its first session, if the node is free.
        var (second, _) = await NodeEnrollment.JoinAsync(_leader, "leader-host-2", role: Role.Builder);
        await using var live = await BuilderSessionClient.OpenAsync(_leader, first, LeaderNode);

        var taken = await RefusedHelloAsync(second, LeaderNode);

        Assert.Equal(StatusCode.PermissionDenied, taken.StatusCode);
        Assert.Equal("swarm-node-taken", taken.Trailers.GetValue("cluster-refusal"));
    }

    // The first builder's record was written at its hello, longer ago than a node counts as
    // seen; its session is live all along, so a new builder claiming its swarm node at join is
    // refused (it used to take the record over, certificate and all).
    [Fact]
    public async Task SecondBuilder_JoiningOnALiveBuildersSwarmNode_IsRefusedAndTheFirstKeepsIt()
    {
        var (first, _) = await NodeEnrollment.JoinAsync(_leader, "leader-host", role: Role.Builder, swarmNodeId: LeaderNode);
        await using var live = await BuilderSessionClient.OpenAsync(_leader, first, LeaderNode);
        var firstId = (await BuilderOfAsync()).Id;
        // Its record was written at the hello; the leader's clock moves 4 s on (past the 3 s a
        // node counts as seen) while the session stays open.
        _time.Advance(TimeSpan.FromSeconds(4));

        var refused = await Assert.ThrowsAsync<RpcException>(() => NodeEnrollment.JoinAsync(_leader, "impostor", role: Role.Builder, swarmNodeId: LeaderNode));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal("swarm-node-taken", refused.Trailers.GetValue("cluster-refusal"));
        var builder = await BuilderOfAsync();
        Assert.Equal(firstId, builder.Id);
        Assert.Equal("ready", builder.Status);
        Assert.Equal(LeaderNode, builder.SwarmNodeId);
    }

    // The builder as `node list` shows it (the same admin API, without a clusterctl process).
    private async Task<Node> BuilderOfAsync() =>
        (await _leader.NodesAsync()).Single(n => n.Role == "builder");

    private async Task<RpcException> RefusedHelloAsync(X509Certificate2 node, string swarmNodeId)
    {
        // A session the leader accepted is a failure here: it would be served builds.
        return await Assert.ThrowsAsync<RpcException>(async () => await (await BuilderSessionClient.OpenAsync(_leader, node, swarmNodeId)).DisposeAsync());
    }
}
