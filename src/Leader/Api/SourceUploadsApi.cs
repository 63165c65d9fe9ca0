using System.Runtime.CompilerServices;
using Cluster.Leader.Apps;
using Cluster.Leader.Builds;
using Cluster.Leader.Operations;
using Cluster.Leader.Sources;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.SourceUploads (admin token, like every cluster.admin.v1 service): the
// folder of `clusterctl deploy NAME --from-dir PATH` arrives here before Deployments/Deploy
// names it. Refusals come before any byte is kept: an app not built from a folder, a size over
// the cap, no build server to build it.
public sealed class SourceUploadsApi(AppService apps, SourceUploadStore store, BuilderRegistry builders) : SourceUploads.SourceUploadsBase
{
    private static readonly TimeSpan HeaderDeadline = TimeSpan.FromSeconds(30);

    public static string NoBuilder =>
        "no build server is connected, so the folder could not be built: start cluster-builder on a node (`clusterctl node list` shows builders), then deploy again";

    public override Task<UploadLimits> PrepareUpload(PrepareUploadRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var app = apps.Get(request.App);
        if (SourceRules.UploadRefusal(app) is { } refusal)
        {
            throw new OperationException(OperationError.FailedPrecondition, refusal);
        }

        return Task.FromResult(new UploadLimits
        {
            MaxBytes = store.Options.MaxBytes,
            ChunkBytes = SourceUploadOptions.ChunkBytes,
            Dockerfile = string.IsNullOrWhiteSpace(app.Dockerfile) ? "Dockerfile" : app.Dockerfile,
            NoBuilder = builders.Live.Count == 0 ? NoBuilder : "",
        });
    }

    public override async Task<UploadedSource> Upload(IAsyncStreamReader<UploadChunk> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        UploadHeader header;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken))
        {
            wait.CancelAfter(HeaderDeadline);
            if (!await requestStream.MoveNext(wait.Token) || requestStream.Current.KindCase != UploadChunk.KindOneofCase.Header)
            {
                throw new OperationException(OperationError.FailedPrecondition, "the first message of an upload must be its header (app, name, size_bytes, sha256)");
            }

            header = requestStream.Current.Header;
        }

        var app = apps.Get(header.App);
        store.CheckHeader(app, header.SizeBytes, header.Sha256);
        if (builders.Live.Count == 0)
        {
            throw new OperationException(OperationError.FailedPrecondition, NoBuilder + "; nothing was uploaded");
        }

        var upload = await store.ReceiveAsync(app, header.Name, header.SizeBytes, header.Sha256, Data(requestStream, context.CancellationToken), context.CancellationToken);
        return new UploadedSource
        {
            UploadId = upload.Id,
            SizeBytes = upload.Bytes,
            Sha256 = upload.Sha256,
            Entries = (uint)upload.Entries,
            ExpiresAt = Timestamp.FromDateTimeOffset(upload.ExpiresAt),
        };
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Data(IAsyncStreamReader<UploadChunk> requestStream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await requestStream.MoveNext(cancellationToken))
        {
            var chunk = requestStream.Current;
            if (chunk.KindCase != UploadChunk.KindOneofCase.Data)
            {
                throw new OperationException(OperationError.InvalidArgument, "an upload has one header, first; the rest are data chunks");
            }

            yield return chunk.Data.Memory;
        }
    }
}
