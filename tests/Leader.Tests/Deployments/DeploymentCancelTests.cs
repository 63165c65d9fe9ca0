using System.Net;
using System.Text.Json;
using Cluster.Leader.Tests.Support;
using Cluster.Protos.Admin.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Leader.Tests.Deployments;

// `clusterctl deployment cancel ID` against the real leader and clusterctl binaries (no engine,
// so no swarm: the running deployment is held in the resolve step by a registry that answers
// every request with 429 and Retry-After: 100, which the resolve step waits out within its
// 2 min deadline). The cancel of a deployment past the rollout (rolled-back) needs a swarm and
// is tested in tests/Lab.Tests/Deployments.
// One leader serves the class; each test deploys its own app.
public sealed class DeploymentCancelTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    private readonly InProcessLeader _leader = fixture.Leader;

    [Fact]
    public async Task Cancel_UnknownId_IsNotFoundAndExitsNonZero()
    {
        var cli = await _leader.CtlAsync(null, "deployment", "cancel", "dnosuchdeployment");
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);
        var wire = await grpc.CallAsync("/cluster.admin.v1.Deployments/CancelDeployment", _leader.AdminToken, new CancelDeploymentRequest { Id = "dnosuchdeployment" });

        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("no deployment 'dnosuchdeployment'", cli.Output, StringComparison.Ordinal);
        Assert.True(wire.GrpcStatus == RawGrpcResult.NotFound, wire.ToString());
    }

    [Fact]
    public async Task Cancel_FinishedDeployment_NamesItsStatusAndExitsNonZero()
    {
        // Port 1 on loopback refuses at once: the deployment fails at resolve within a second.
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "done", Image = "127.0.0.1:1/acme/web:1.0" });
        var finished = await _leader.DeployAsync(new DeployRequest { App = "done" });
        Assert.Equal("failed", finished.Status);

        var cli = await _leader.CtlAsync(null, "deployment", "cancel", finished.Id);

        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains($"deployment {finished.Id} of app 'done' already finished: failed", cli.Output, StringComparison.Ordinal);
        Assert.Contains("nothing to cancel", cli.Output, StringComparison.Ordinal);
        Assert.Equal("failed", Assert.Single(await _leader.DeploymentsAsync("done")).Status);
    }

    [Fact]
    public async Task Cancel_DuringResolve_FailsBeforeTheServiceIsChanged_AndTheWaitingDeployExitsNonZero()
    {
        await using var registry = await RateLimitingRegistry.StartAsync();
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "web", Image = $"{registry.Address}/acme/web:1.0" });

        // `deploy` in "another terminal": it waits for the outcome.
        var deploy = _leader.CtlAsync(null, "deploy", "web");
        var id = await RunningDeploymentIdAsync(registry);

        var cancel = await _leader.CtlAsync(null, "deployment", "cancel", id);
        var deployed = await deploy.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(cancel.ExitCode == 0, cancel.ToString() + "\nleader:\n" + _leader.Output);
        Assert.Contains($"deployment {id} of web: failed: cancelled by admin@", cancel.Output, StringComparison.Ordinal);
        Assert.Contains("before the service was changed (during resolve)", cancel.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, deployed.ExitCode);
        Assert.Contains($"deployment {id} failed: cancelled by admin@", deployed.Output, StringComparison.Ordinal);

        using var shown = JsonDocument.Parse((await _leader.CtlAsync(null, "deployment", "show", id, "-o", "json")).Output);
        var root = shown.RootElement;
        Assert.Equal("failed", root.GetProperty("status").GetString());
        Assert.StartsWith("cancelled by admin@", root.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.NotNull(root.GetProperty("finishedAt").GetString());
        var steps = root.GetProperty("steps").EnumerateArray().Select(s => (s.GetProperty("name").GetString(), s.GetProperty("status").GetString())).ToList();
        Assert.Equal([("resolve", "failed")], steps);

        // Cancelled once; a second cancel finds it finished.
        var again = await _leader.CtlAsync(null, "deployment", "cancel", id);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("already finished: failed", again.Output, StringComparison.Ordinal);

        // The app is free again: a new deployment starts (and is cancelled the same way).
        var next = _leader.DeployAsync(new DeployRequest { App = "web" });
        var nextId = await RunningDeploymentIdAsync(registry, except: id);
        Assert.Equal(0, (await _leader.CtlAsync(null, "deployment", "cancel", nextId)).ExitCode);
        Assert.Equal("failed", (await next.WaitAsync(TimeSpan.FromSeconds(30))).Status);
    }

    // The id of the app's deployment that is running and whose resolve has reached the registry.
    private async Task<string> RunningDeploymentIdAsync(RateLimitingRegistry registry, string? except = null)
    {
        var seen = registry.Requests;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            var running = (await _leader.DeploymentsAsync("web")).FirstOrDefault(d => d.Status == "running" && d.Id != except);
            if (running is not null && registry.Requests > seen)
            {
                return running.Id;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no running deployment of web reached the registry ({registry.Requests} requests)\nleader:\n{_leader.Output}");
    }

    // A plain-HTTP "registry" on loopback that rate-limits every request for 100 s.
    private sealed class RateLimitingRegistry : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private RateLimitingRegistry(WebApplication app) => _app = app;

        public string Address { get; private set; } = "";

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<RateLimitingRegistry> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var registry = new RateLimitingRegistry(app);
            app.Run(context =>
            {
                Interlocked.Increment(ref registry._requests);
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = "100";
                return Task.CompletedTask;
            });
            await app.StartAsync();
            registry.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Authority;
            return registry;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
