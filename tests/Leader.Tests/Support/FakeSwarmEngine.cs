using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cluster.Leader.Tests.Support;

// A Docker engine API on a unix socket that answers only what the leader asks to check a
// node's swarm identity: `GET /info` (a swarm manager, the first node) and `GET /nodes` (the
// swarm's node list). Anything else is 404. Enough for enrollment and session binding without a
// real swarm; everything that touches services or images stays in tests/Lab.Tests.
public sealed class FakeSwarmEngine : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;

    private FakeSwarmEngine(WebApplication app, string dir, IReadOnlyList<(string Id, string Hostname, string Role)> nodes)
    {
        _app = app;
        _dir = dir;
        Nodes = nodes;
    }

    // The swarm's nodes; the first is the leader's own engine (a manager).
    public IReadOnlyList<(string Id, string Hostname, string Role)> Nodes { get; }

    public string SocketPath => Path.Combine(_dir, "docker.sock");

    // For cluster-leader --docker-host.
    public string DockerHost => "unix://" + SocketPath;

    public static async Task<FakeSwarmEngine> StartAsync(params (string Id, string Hostname, string Role)[] nodes)
    {
        var dir = Directory.CreateTempSubdirectory("fake-engine-").FullName;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(Path.Combine(dir, "docker.sock")));
        var app = builder.Build();
        var engine = new FakeSwarmEngine(app, dir, nodes);
        app.Run(engine.AnswerAsync);
        await app.StartAsync();
        return engine;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    // Paths may carry an API version prefix ("/v1.47/nodes").
    private Task AnswerAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        object? body = path switch
        {
            _ when path.EndsWith("/_ping", StringComparison.Ordinal) => "OK",
            _ when path.EndsWith("/nodes", StringComparison.Ordinal) => Nodes.Select(n => new
            {
                ID = n.Id,
                Description = new { Hostname = n.Hostname, Platform = new { Architecture = "x86_64", OS = "linux" } },
                Spec = new { Role = n.Role, Availability = "active" },
                Status = new { State = "ready", Addr = "127.0.0.1" },
            }).ToList(),
            _ when path.EndsWith("/info", StringComparison.Ordinal) => new
            {
                ID = "FAKE:ENGINE",
                Name = Nodes[0].Hostname,
                ServerVersion = "27.0.0",
                Architecture = "x86_64",
                Swarm = new { NodeID = Nodes[0].Id, LocalNodeState = "active", ControlAvailable = true },
            },
            _ => null,
        };
        if (body is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return context.Response.WriteAsJsonAsync(new { message = $"the fake engine does not serve {path}" });
        }

        if (body is string text)
        {
            return context.Response.WriteAsync(text);
        }

        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
