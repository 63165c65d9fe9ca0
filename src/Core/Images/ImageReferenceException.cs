namespace Cluster.Core.Images;

// Thrown by ImageReference.Parse/WithTag/WithDigest; carries the structured error.
public sealed class ImageReferenceException : FormatException
{
    public ImageReferenceException()
        : this(new ImageReferenceError(ImageReferenceErrorKind.InvalidFormat, "invalid image reference"))
    {
    }

    public ImageReferenceException(string message)
        : this(new ImageReferenceError(ImageReferenceErrorKind.InvalidFormat, message))
    {
    }

    public ImageReferenceException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new ImageReferenceError(ImageReferenceErrorKind.InvalidFormat, message);
    }

    public ImageReferenceException(ImageReferenceError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message)
    {
        Error = error;
    }

    public ImageReferenceError Error { get; }
}
