namespace Cluster.Leader.Tests.Support;

// One raw call's outcome: HTTP status, and grpc-status/grpc-message when the server sent them.
public sealed record RawGrpcResult(string Path, int HttpStatus, int? GrpcStatus, string GrpcMessage)
{
    public const int Ok = 0;
    public const int NotFound = 5;
    public const int Unimplemented = 12;
    public const int Unauthenticated = 16;

    // Refused by the gate (our own UNAUTHENTICATED) or matched nothing (UNIMPLEMENTED from
    // gRPC's fallback, or a plain HTTP 404): in every case, no handler ran.
    public bool IsRefusedBeforeAnyHandler =>
        (GrpcStatus == Unauthenticated && GrpcMessage.Contains("token", StringComparison.Ordinal)) ||
        (GrpcStatus == Unauthenticated && GrpcMessage.Contains("client certificate", StringComparison.Ordinal)) ||
        GrpcStatus == Unimplemented ||
        (HttpStatus == 404 && GrpcStatus is null);

    public override string ToString() => $"{Path}: HTTP {HttpStatus}, grpc-status {GrpcStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} '{GrpcMessage}'";
}
