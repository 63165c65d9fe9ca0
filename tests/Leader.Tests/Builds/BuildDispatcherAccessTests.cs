using Cluster.Leader.Tests.Support;
using Cluster.Protos.Build.V1;
using Cluster.Protos.Join.V1;
using Grpc.Core;

namespace Cluster.Leader.Tests.Builds;

// The builder-facing service (cluster.build.v1.BuildDispatcher) against the real cluster-leader,
// with real node certificates from real joins: an uploaded folder goes only to the builder
// running its job, and what a builder sends is bounded like what an agent sends (issue #9).
// One leader serves the class: each test joins its own nodes, and what it checks is absent
// from the whole log and node list.
public sealed class BuildDispatcherAccessTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    private readonly InProcessLeader _leader = fixture.Leader;

    [Fact]
    public async Task FetchContext_AgentCertificateOrAdminTokenOrNoJob_GetsNothing()
    {
        var (agent, _) = await NodeEnrollment.JoinAsync(_leader, "agent-1");
        var (builder, _) = await NodeEnrollment.JoinAsync(_leader, "builder-1", role: Role.Builder);

        var asAgent = await FetchAsync(agent, null);
        var asAdmin = await FetchAsync(null, _leader.AdminToken);
        var asBuilderWithoutThatJob = await FetchAsync(builder, null);

        Assert.Equal(StatusCode.PermissionDenied, asAgent.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, asAdmin.StatusCode);
        Assert.Equal(StatusCode.NotFound, asBuilderWithoutThatJob.StatusCode);
    }

    // A builder joined with the join token, like an agent: its messages have the agents' cap,
    // so it cannot make the leader buffer megabytes per message.
    [Fact]
    public async Task BuilderSession_HelloOverTheNodeMessageCap_IsRefused()
    {
        var (builder, _) = await NodeEnrollment.JoinAsync(_leader, "builder-1", role: Role.Builder);

        var refused = await HelloAsync(builder, new BuilderHello { Hostname = "builder-1", EngineVersion = new string('x', 300 * 1024), Parallelism = 1 });

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.DoesNotContain(new string('x', 1024), _leader.Output, StringComparison.Ordinal);
    }

    // What the builder says about itself is stored and shown in `node list`: checked like an
    // agent's (a hostname with a terminal escape or a newline is refused, not stored).
    [Fact]
    public async Task BuilderSession_HelloWithForgedText_IsRefusedAndNotStored()
    {
        var (builder, _) = await NodeEnrollment.JoinAsync(_leader, "builder-1", role: Role.Builder);

        var escape = await HelloAsync(builder, new BuilderHello { Hostname = "evil\u001b[2J\nleader: all ok", EngineVersion = "27.0", Parallelism = 1 });
        var longVersion = await HelloAsync(builder, new BuilderHello { Hostname = "builder-1", EngineVersion = new string('9', 2000), Parallelism = 1 });
        var nodes = await _leader.CtlAsync(null, "node", "list", "-o", "json");

        Assert.Equal(StatusCode.InvalidArgument, escape.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, longVersion.StatusCode);
        Assert.DoesNotContain("evil", nodes.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('9', 100), nodes.Output, StringComparison.Ordinal);
    }

    private async Task<RpcException> FetchAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? node, string? bearer)
    {
        using var channel = NodeEnrollment.Channel(_leader, node);
        var headers = bearer is null ? [] : new Metadata { { "authorization", "Bearer " + bearer } };
        using var call = new BuildDispatcher.BuildDispatcherClient(channel).FetchContext(new FetchContextRequest { JobId = "b0123456789abcde" }, headers, DateTime.UtcNow.AddSeconds(30));
        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });
    }

    // Sends one hello on a builder session; returns how the leader ended the call (a session it
    // accepted would answer session_started and stay open: that is a failure here).
    private async Task<RpcException> HelloAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 node, BuilderHello hello)
    {
        using var channel = NodeEnrollment.Channel(_leader, node);
        using var call = new BuildDispatcher.BuildDispatcherClient(channel).Session(deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            await call.RequestStream.WriteAsync(new BuilderMessage { Hello = hello });
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            // The leader may end the call while the hello is still being written; the read says why.
        }

        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                Assert.Fail($"the leader accepted the session: {call.ResponseStream.Current}");
            }
        });
    }
}
