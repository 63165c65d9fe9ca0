using Cluster.Leader.Builds;
using Cluster.Protos.Build.V1;

namespace Cluster.Leader.Tests.Builds;

// A builder's log lines end up in the deployment record (one database document) and on every
// admin's terminal: a builder that sends without end, or sends escapes, must not get either.
public sealed class PendingBuildLogTests
{
    [Fact]
    public void Log_EndlessLines_KeepsABoundedLogAndSaysItWasCut()
    {
        var kept = new List<string>();
        var pending = new PendingBuild(new BuildJob { JobId = "b1" }, kept.Add);

        for (var i = 0; i < 3 * PendingBuild.MaxLogLines; i++)
        {
            pending.Log(new string('a', 5000));
        }

        Assert.InRange(kept.Count, 1, PendingBuild.MaxLogLines + 1);
        Assert.All(kept, l => Assert.True(l.Length <= PendingBuild.MaxLineChars, $"{l.Length} chars"));
        Assert.Contains("lines", kept[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Log_ControlCharacters_AreNotPassedOn()
    {
        var kept = new List<string>();
        var pending = new PendingBuild(new BuildJob { JobId = "b1" }, kept.Add);

        pending.Log("step 1\u001b[2J\nleader: deployment succeeded\r");

        Assert.Single(kept);
        Assert.DoesNotContain(kept[0], char.IsControl);
        Assert.StartsWith("step 1", kept[0], StringComparison.Ordinal);
    }
}
