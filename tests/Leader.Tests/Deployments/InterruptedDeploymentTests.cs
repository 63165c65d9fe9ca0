using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Cluster.Leader.Storage;
using Cluster.Leader.Tests.Support;
using Cluster.Protos.Admin.V1;

namespace Cluster.Leader.Tests.Deployments;

// What a leader restart does with a deployment it was running (RecoverInterruptedAsync): the
// record is written as the journal leaves it mid-way (a step and a node's part still running),
// with the leader stopped, and the leader started again on the same data dir.
public sealed class InterruptedDeploymentTests : IAsyncLifetime
{
    private InProcessLeader _leader = null!;

    public async Task InitializeAsync() => _leader = await InProcessLeader.StartAsync();

    public async Task DisposeAsync() => await _leader.DisposeAsync();

    // The record said `failed` but its pre-pull step, and the node's pull, still said `running`
    // in `deployment show`, for good.
    [Fact]
    public async Task Restart_DeploymentCutShortInAStep_FailedWithItsRunningPartsClosed()
    {
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "web", Image = "127.0.0.1:1/acme/web:1.0" });
        await _leader.StopAsync();
        WriteInterrupted("dcutshort", "web");

        await _leader.RestartAsync();

        using var shown = JsonDocument.Parse((await _leader.CtlAsync(null, "deployment", "show", "dcutshort", "-o", "json")).Output);
        var root = shown.RootElement;
        Assert.Equal("failed", root.GetProperty("status").GetString());
        Assert.StartsWith("the leader restarted during this deployment", root.GetProperty("error").GetString(), StringComparison.Ordinal);
        var steps = root.GetProperty("steps").EnumerateArray().Select(s => (s.GetProperty("name").GetString(), s.GetProperty("status").GetString())).ToList();
        Assert.Equal([("resolve", "ok"), ("pre-pull", "failed")], steps);
        Assert.Contains("leader restarted", root.GetProperty("steps")[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        var node = Assert.Single(root.GetProperty("nodes").EnumerateArray());
        Assert.Equal("failed", node.GetProperty("status").GetString());
    }

    // An engine that takes the connection and never answers: the leader started only once each
    // interrupted record's question had run into the client's own timeout (100 s each).
    [Fact]
    public async Task Restart_EngineNeverAnswers_LeaderStillStartsWithinSeconds()
    {
        await _leader.DisposeAsync();
        var dir = Directory.CreateTempSubdirectory("cluster-mute-engine-").FullName;
        try
        {
            using var mute = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            var socket = Path.Combine(dir, "docker.sock");
            mute.Bind(new UnixDomainSocketEndPoint(socket));
            mute.Listen(16);
            _leader = await InProcessLeader.StartAsync("--docker-host", "unix://" + socket);
            await _leader.StopAsync();
            WriteInterrupted("dmute1", "web");
            WriteInterrupted("dmute2", "web");

            var started = Stopwatch.StartNew();
            await _leader.RestartAsync().WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"the leader took {started.Elapsed} to start");
            var shown = (await _leader.DeploymentsAsync("web")).Single(d => d.Id == "dmute1");
            Assert.Equal("failed", shown.Status);
            Assert.Contains("could not be read", shown.Error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private void WriteInterrupted(string id, string app)
    {
        using var db = new LeaderDatabase(Path.Combine(_leader.DataDir, "cluster.db"));
        // `app create` asks the engine about a same-named service; a mute engine never answers.
        var appId = db.Read(d => d.Apps.FindOne(a => a.Name == app))?.Id ?? db.Write(d =>
        {
            d.Apps.Insert(new AppRecord { Id = "app-" + app, Name = app, Image = "127.0.0.1:1/acme/web", Tag = "1.0" });
            return "app-" + app;
        });
        var at = DateTime.UtcNow;
        db.Write(d => d.Deployments.Insert(new DeploymentRecord
        {
            Id = id, AppId = appId, App = app, Image = "127.0.0.1:1/acme/web:1.0", StartedAt = at,
            Steps =
            [
                new StepRecord { Name = "resolve", Status = StepStatus.Ok, StartedAt = at, FinishedAt = at },
                new StepRecord { Name = "pre-pull", Status = StepStatus.Running, StartedAt = at },
            ],
            Nodes = [new NodeStepRecord { Node = "node-1", Step = "pre-pull", Status = StepStatus.Running }],
        }));
    }
}
