using System.Collections.Immutable;
using Cluster.Core.Docker;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Housekeeping;
using Cluster.NodeAgent.Tests.Support;
using Cluster.NodeJoin.Housekeeping;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cluster.NodeAgent.Tests.Housekeeping;

// The agent's side of issue #10 item 7: an order from the leader prunes the node's engine
// through the engine seam, keeping what the leader names, what the node holds pins for, and
// what a container uses; images the build servers did not make are never touched.
public sealed class ImageHousekeeperTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ScriptedEngine _engine = new();
    private readonly AssignmentStore _store = new();
    private readonly ImageHousekeeper _housekeeper;

    public ImageHousekeeperTests()
    {
        _housekeeper = new ImageHousekeeper(_engine, NodeHousekeeping.Setup(_store), NullLogger<ImageHousekeeper>.Instance);
        for (var n = 1; n <= 8; n++)
        {
            _engine.Images.Add(Pulled("web", n));
        }
    }

    public void Dispose() => _housekeeper.Dispose();

    // As a node holds a pre-pulled image: by digest, no tag.
    private static EngineImage Pulled(string app, int n) => new(
        Id(app, n), [], [$"10.0.0.5:5000/ns/{app}@{Digest(app, n)}"],
        new Dictionary<string, string> { ["cluster.app"] = app, ["cluster.deployment"] = $"d{n}", ["cluster.commit"] = new string('c', 40) },
        T0.AddMinutes(n));

    private static string Id(string app, int n) => "sha256:" + Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes(app + n)).PadRight(64, '0')[..64];

    private static string Digest(string app, int n) => "sha256:" + Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes(app + n)).PadRight(64, 'd')[..64];

    private static PruneOrder Order(uint keep, params string[] used) => new(keep, used);

    private IReadOnlyList<string> Left() => [.. _engine.Images.Select(i => i.Id).Order()];

    [Fact]
    public async Task PruneAsync_EightImages_KeepsTheNewestFiveAndRemovesTheRest()
    {
        var report = await _housekeeper.PruneAsync(Order(5), CancellationToken.None);

        Assert.Equal(3, report.Removed.Count);
        Assert.Equal(Enumerable.Range(4, 5).Select(n => Id("web", n)).Order(), Left());
    }

    [Fact]
    public async Task PruneAsync_ImageAServiceUses_IsKeptEvenWhenOld()
    {
        await _housekeeper.PruneAsync(Order(5, $"10.0.0.5:5000/ns/web:abc@{Digest("web", 1)}"), CancellationToken.None);

        Assert.Contains(Id("web", 1), Left());
        Assert.DoesNotContain(Id("web", 2), Left());
    }

    [Fact]
    public async Task PruneAsync_ImageTheNodeHoldsAPinFor_IsKept()
    {
        _store.Publish(AssignmentSnapshot.Empty with
        {
            Pins = ImmutableDictionary.CreateRange([KeyValuePair.Create("app-1", new PinnedImage("app-1", $"10.0.0.5:5000/ns/web:abc@{Digest("web", 2)}"))]),
        });

        await _housekeeper.PruneAsync(Order(5), CancellationToken.None);

        Assert.Contains(Id("web", 2), Left());
        Assert.DoesNotContain(Id("web", 1), Left());
    }

    [Fact]
    public async Task PruneAsync_ImageAContainerUses_IsKeptAndSaid()
    {
        _engine.InUse.Add(Id("web", 3));

        var report = await _housekeeper.PruneAsync(Order(5), CancellationToken.None);

        Assert.Contains(Id("web", 3), Left());
        Assert.Contains(report.Kept, k => k.Contains("conflict", StringComparison.Ordinal));
        Assert.Equal(2, report.Removed.Count);
    }

    [Fact]
    public async Task PruneAsync_ImagesNotBuiltByTheCluster_AreNeverRemoved()
    {
        _engine.Images.Clear();
        // Named like a built app's images, labeled cluster.app, but without the deployment label
        // the build servers always set: not ours.
        for (var n = 1; n <= 8; n++)
        {
            _engine.Images.Add(Pulled("web", n) with { Labels = new Dictionary<string, string> { ["cluster.app"] = "web" } });
        }

        var report = await _housekeeper.PruneAsync(Order(1), CancellationToken.None);

        Assert.Empty(report.Removed);
        Assert.Empty(_engine.RemoveCalls);
        Assert.Equal(8, _engine.Images.Count);
    }

    [Fact]
    public async Task PruneAsync_KeepZero_RemovesNothing()
    {
        await _housekeeper.PruneAsync(Order(0), CancellationToken.None);

        Assert.Empty(_engine.RemoveCalls);
    }
}
