using Cluster.Core.Builds;
using Cluster.BuildServer.Jobs;

namespace Cluster.BuildServer.Context;

// The build context of a Git checkout as the engine's /build endpoint takes it: the context
// directory packed by Core's ContextPacker, the packer clusterctl uses for `--from-dir` too
// (.dockerignore honoured, the Dockerfile and .dockerignore always sent, links sent as links and
// never followed, so a link cannot pull files from outside the checkout into the image).
internal static class ContextArchive
{
    // No cap of its own beyond this: the checkout is already on the builder's disk.
    private const long MaxBytes = 16L << 30;

    // Writes the tar to `tarFile` and returns how many entries it holds.
    public static int Write(string contextDir, string dockerfile, string tarFile)
    {
        if (!Directory.Exists(contextDir))
        {
            throw new BuildFailure("context", $"the build context directory '{contextDir}' does not exist in this commit");
        }

        try
        {
            using var stream = File.Create(tarFile);
            return ContextPacker.Pack(contextDir, dockerfile, stream, MaxBytes).Entries;
        }
        catch (ContextException e)
        {
            throw new BuildFailure("context", e.Message.StartsWith("no Dockerfile", StringComparison.Ordinal)
                ? $"no Dockerfile at '{dockerfile}' in the build context; check --dockerfile and --context"
                : e.Message);
        }
    }
}
