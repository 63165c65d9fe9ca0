using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.PrePull;

// The end of one pull through the keyring: every attempt in keyring order, one line each
// ("registry 'ghcr-ro': unauthorized: ..."), and the failure kind that tells the user most.
internal sealed record PullOutcome
{
    public required bool Ok { get; init; }

    public FailureKind Failure { get; init; }

    public IReadOnlyList<string> Attempts { get; init; } = [];

    public string Message { get; init; } = "";

    public string ImageId { get; init; } = "";

    public PrePullResult ToResult(string orderId)
    {
        var result = new PrePullResult { OrderId = orderId, Ok = Ok, Failure = Ok ? FailureKind.Unspecified : Failure, Message = Message, ImageId = ImageId };
        result.Attempts.AddRange(Attempts);
        return result;
    }
}
