using Cluster.Cli.Connection;
using Cluster.Core.Builds;
using Cluster.Protos.Admin.V1;
using Grpc.Core;

namespace Cluster.Cli.Commands;

// `clusterctl deploy NAME --from-dir PATH`, the part before the deployment: PATH is a folder on
// the machine clusterctl runs on. Ask the leader whether the app takes a folder and how large
// (SourceUploads/PrepareUpload), pack the folder as a tar into a private temp file (Core's
// ContextPacker: .dockerignore honoured, links kept as links and never followed, stopped at the
// leader's cap), then stream it (SourceUploads/Upload, 1 MiB chunks) and return the upload id
// that Deploy names. Every refusal comes before a byte is sent; the temp file is deleted on close.
internal static class FolderUpload
{
    private static readonly TimeSpan UploadDeadline = TimeSpan.FromMinutes(30);

    private static readonly UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // `say` gets progress lines (null: quiet, for -o json).
    public static async Task<string> SendAsync(AdminConnection leader, string app, string folder, TextWriter? say)
    {
        ArgumentNullException.ThrowIfNull(leader);
        var client = new SourceUploads.SourceUploadsClient(leader.Channel);
        var limits = await client.PrepareUploadAsync(new PrepareUploadRequest { App = app }, leader.Call());
        var full = Path.GetFullPath(folder);
        if (File.Exists(full))
        {
            throw new CliException($"--from-dir {folder} is a file, not a directory: give the folder that holds the Dockerfile");
        }

        if (!Directory.Exists(full))
        {
            throw new CliException($"--from-dir {folder}: no such directory");
        }

        await using var tar = new FileStream(Path.Combine(Path.GetTempPath(), $"clusterctl-{Guid.NewGuid():N}.tar"), new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            UnixCreateMode = Private,
            Options = FileOptions.DeleteOnClose,
        });
        var packed = Pack(full, folder, limits, tar);
        if (limits.NoBuilder.Length > 0)
        {
            throw new CliException($"{limits.NoBuilder}; nothing was uploaded");
        }

        if (say is not null)
        {
            await say.WriteLineAsync($"packed {folder}: {packed.Entries} entries, {ContextStream.Size(packed.Bytes)}, sha256 {packed.Sha256} (.dockerignore honoured)");
        }

        tar.Position = 0;
        var uploaded = await UploadAsync(client, leader, app, Path.GetFileName(full.TrimEnd('/')), packed, tar, limits.ChunkBytes);
        if (say is not null)
        {
            await say.WriteLineAsync($"uploaded to the leader as {uploaded.UploadId}");
        }

        return uploaded.UploadId;
    }

    private static PackedContext Pack(string full, string folder, UploadLimits limits, Stream tar)
    {
        try
        {
            return ContextPacker.Pack(full, limits.Dockerfile, tar, limits.MaxBytes);
        }
        catch (ContextException e) when (e.TooLarge)
        {
            throw new CliException(
                $"--from-dir {folder} is larger than the leader's limit of {ContextStream.Size(limits.MaxBytes)} for an uploaded build context ({e.Message}); nothing was uploaded. " +
                "Leave out what the build does not need with a .dockerignore in the folder, or raise the limit on the leader (cluster-leader --max-upload-size)");
        }
        catch (ContextException e)
        {
            throw new CliException($"--from-dir {folder}: {e.Message}; nothing was uploaded");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--from-dir {folder}: cannot pack it: {e.Message}; nothing was uploaded");
        }
    }

    private static async Task<UploadedSource> UploadAsync(SourceUploads.SourceUploadsClient client, AdminConnection leader, string app, string name, PackedContext packed, Stream tar, uint chunkBytes)
    {
        var chunk = new byte[chunkBytes is > 0 and <= 1 << 20 ? (int)chunkBytes : 1 << 20];
        using var call = client.Upload(leader.Call(UploadDeadline));
        try
        {
            await call.RequestStream.WriteAsync(new UploadChunk { Header = new UploadHeader { App = app, Name = name, SizeBytes = packed.Bytes, Sha256 = packed.Sha256 } });
            int read;
            while ((read = await tar.ReadAsync(chunk)) > 0)
            {
                await call.RequestStream.WriteAsync(new UploadChunk { Data = Google.Protobuf.ByteString.CopyFrom(chunk, 0, read) });
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The leader refused and ended the call while we were still sending: its answer
            // below says why.
        }

        return await call.ResponseAsync;
    }
}
