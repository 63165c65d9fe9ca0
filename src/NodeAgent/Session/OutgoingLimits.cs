using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.Session;

// The leader refuses agent messages whose fields exceed its caps (Cluster.Leader.Agents.
// AgentLimits: 1024 characters of text, 32 pull attempts) and drops the session. Engine errors
// can be long, so every report is trimmed here, before it is sent, to stay within them.
internal static class OutgoingLimits
{
    public const int MaxTextChars = 1000;

    public const int MaxAttempts = 32;

    public static AgentMessage Trim(AgentMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message.KindCase)
        {
            case AgentMessage.KindOneofCase.CredentialCheck:
                message.CredentialCheck.Message = Cut(message.CredentialCheck.Message);
                break;
            case AgentMessage.KindOneofCase.Resync:
                message.Resync.Reason = Cut(message.Resync.Reason);
                break;
            case AgentMessage.KindOneofCase.PrePullProgress:
                message.PrePullProgress.Status = Cut(message.PrePullProgress.Status);
                break;
            case AgentMessage.KindOneofCase.PrePullResult:
                var result = message.PrePullResult;
                result.Message = Cut(result.Message);
                var attempts = result.Attempts.Take(MaxAttempts).Select(Cut).ToList();
                result.Attempts.Clear();
                result.Attempts.AddRange(attempts);
                break;
            default:
                break;
        }

        return message;
    }

    private static string Cut(string text) => text.Length <= MaxTextChars ? text : text[..(MaxTextChars - 1)] + "…";
}
