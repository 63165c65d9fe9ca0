using System.Security.Cryptography;

namespace Cluster.Core.Builds;

// A write-only pass-through that counts and hashes (sha256) what goes through it, and refuses
// (ContextException, TooLarge) the write that would take the total over MaxBytes, so a build
// context is never written, sent or stored past its cap. Used where a context is packed (the
// CLI, the builder's git checkouts) and where one is received (the leader, the builder).
public sealed class ContextStream(Stream inner, long maxBytes, bool leaveOpen = false) : Stream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long MaxBytes { get; } = maxBytes;

    public long BytesWritten { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => BytesWritten;

    public override long Position
    {
        get => BytesWritten;
        set => throw new NotSupportedException();
    }

    // The sha256 of everything written so far, as 64 lowercase hex digits.
    public string Sha256() => Convert.ToHexStringLower(_sha.GetCurrentHash());

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Admit(buffer.Length);
        inner.Write(buffer);
        _sha.AppendData(buffer);
        BytesWritten += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Admit(buffer.Length);
        await inner.WriteAsync(buffer, cancellationToken);
        _sha.AppendData(buffer.Span);
        BytesWritten += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha.Dispose();
            if (!leaveOpen)
            {
                inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private void Admit(int count)
    {
        if (BytesWritten + count > MaxBytes)
        {
            throw new ContextException($"the build context is larger than {Size(MaxBytes)}", tooLarge: true);
        }
    }

    // "512 MiB", "64 KiB", "900 B": how sizes are written in messages.
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30} GiB",
        >= 1L << 20 => $"{bytes / 1048576.0:0.#} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.#} KiB",
        _ => $"{bytes} B",
    };
}
