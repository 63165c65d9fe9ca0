using Cluster.BuildServer.Jobs;
using Cluster.Core.Builds;
using Cluster.Protos.Build.V1;

namespace Cluster.BuildServer.Context;

// A folder the admin uploaded, as the builder takes it before building: fetched from the leader
// into the job directory, never more bytes than the job announced, then checked against the
// job's size and sha256 and, entry by entry, against ContextTar's rules (no absolute paths, no
// `..`, no devices or FIFOs, no hard link leaving the archive, nothing below a link). A folder
// that fails any of them is not built: the job ends at stage "context" saying why.
internal static class ReceivedContext
{
    // `fetch` writes the tar bytes, in order, to the stream it is given (BuilderSession streams
    // them from BuildDispatcher/FetchContext). Returns the number of entries.
    public static async Task<int> ReceiveAsync(UploadedContext expected, string dockerfile, Func<Stream, CancellationToken, Task> fetch, string tarFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(fetch);
        await using (var file = new FileStream(tarFile, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            using var counted = new ContextStream(file, expected.SizeBytes, leaveOpen: true);
            try
            {
                await fetch(counted, cancellationToken);
            }
            catch (ContextException e) when (e.TooLarge)
            {
                throw new BuildFailure("context", $"the leader sent more than the {ContextStream.Size(expected.SizeBytes)} announced for the uploaded folder '{expected.Name}'; not building it");
            }
            catch (Exception e) when (e is not (OperationCanceledException or BuildFailure))
            {
                throw new BuildFailure("context", $"could not fetch the uploaded folder '{expected.Name}' from the leader: {e.Message}", inner: e);
            }

            if (counted.BytesWritten != expected.SizeBytes)
            {
                throw new BuildFailure("context", $"the uploaded folder '{expected.Name}' arrived incomplete ({counted.BytesWritten} of {expected.SizeBytes} bytes); deploy again");
            }

            var sha = counted.Sha256();
            if (!string.Equals(sha, expected.Sha256, StringComparison.Ordinal))
            {
                throw new BuildFailure("context", $"the uploaded folder '{expected.Name}' arrived damaged: its sha256 is {sha}, not {expected.Sha256}; deploy again");
            }
        }

        await using var tar = File.OpenRead(tarFile);
        try
        {
            return ContextTar.Check(tar, dockerfile);
        }
        catch (ContextException e)
        {
            throw new BuildFailure("context", $"the uploaded folder '{expected.Name}' was refused: {e.Message}");
        }
    }
}
