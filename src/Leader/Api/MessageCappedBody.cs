using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Grpc.Core;

namespace Cluster.Leader.Api;

// A request body that refuses any gRPC message announcing more than maxMessageBytes: each
// frame's 5-byte header (compressed flag, 4-byte big-endian length) is read as soon as it
// arrives, and an announced length over the cap ends the call RESOURCE_EXHAUSTED before the
// message itself is buffered, as gRPC's own MaxReceiveMessageSize does. ApiGate puts it in front
// of the services ApiAccessPolicy caps (every anonymous one), whatever gRPC's per-service
// option says: the cap is decided where the anonymous list lives, not per implementation type.
// Only for gRPC's reader, which consumes whole frames; a frame boundary is never inside what it
// consumed without being checked first.
//
// A compressed message (flag 1, grpc-encoding gzip) is refused whatever its length: the prefix
// gives its size on the wire, and gRPC inflates it with no bound of its own, so a 2 KiB gzip
// frame became a 2 MiB message. Nothing a caller without credentials sends (a Join, a health
// check, a reflection request) needs compression, and no client of this product compresses.
public sealed class MessageCappedBody(PipeReader inner, int maxMessageBytes) : PipeReader
{
    private const int HeaderBytes = 5;

    // The last buffer handed out, and where in it the next unchecked frame header starts.
    private ReadOnlySequence<byte> _buffer;
    private long _nextHeader;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken);
        Check(result.Buffer);
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        Check(result.Buffer);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _nextHeader -= _buffer.Slice(_buffer.Start, consumed).Length;
        _buffer = default;
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private void Check(ReadOnlySequence<byte> buffer)
    {
        _buffer = buffer;
        Span<byte> header = stackalloc byte[HeaderBytes];
        while (buffer.Length >= _nextHeader + HeaderBytes)
        {
            buffer.Slice(_nextHeader, HeaderBytes).CopyTo(header);
            if (header[0] != 0)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"a compressed message could inflate past the {maxMessageBytes} bytes this leader accepts from a caller without credentials; send it uncompressed (no grpc-encoding); nothing was read"));
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
            if (length > (uint)maxMessageBytes)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"a message of {length} bytes is over the {maxMessageBytes} bytes this leader accepts from a caller without credentials; nothing was read"));
            }

            _nextHeader += HeaderBytes + length;
        }
    }
}
