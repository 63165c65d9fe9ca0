using Cluster.Hosting;
using Cluster.Leader.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.Leader.Tests;

// The leader hands freed native memory back to the system (issue #14): the trimmer is one of the
// leader's hosted services, and on this Linux with glibc malloc_trim exists and runs.
public sealed class NativeHeapTrimmerTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    [Fact]
    public void Leader_HostsTheTrimmer()
    {
        Assert.Single(fixture.Leader.Services.GetServices<IHostedService>().OfType<NativeHeapTrimmer>());
    }

    [Fact]
    public void Trim_OnGlibc_FindsMallocTrimAndRuns()
    {
        Assert.True(OperatingSystem.IsLinux() && File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || File.Exists("/lib/aarch64-linux-gnu/libc.so.6"), "these tests run on Debian (glibc)");
        Assert.True(NativeHeapTrimmer.Trim());
    }
}
