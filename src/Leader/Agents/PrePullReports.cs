using System.Collections.Concurrent;
using System.Threading.Channels;
using Cluster.Protos.Agent.V1;

namespace Cluster.Leader.Agents;

// Routes agents' pre-pull progress and results to whoever placed the order (the deployment
// orchestrator), by order id. Reports for unknown orders (e.g. after a leader restart) are dropped.
public sealed class PrePullReports
{
    private readonly ConcurrentDictionary<string, Channel<AgentMessage>> _orders = new(StringComparer.Ordinal);

    public ChannelReader<AgentMessage> Subscribe(string orderId)
    {
        var channel = Channel.CreateUnbounded<AgentMessage>(new UnboundedChannelOptions { SingleReader = true });
        _orders[orderId] = channel;
        return channel.Reader;
    }

    public void Unsubscribe(string orderId)
    {
        if (_orders.TryRemove(orderId, out var channel))
        {
            channel.Writer.TryComplete();
        }
    }

    public void Route(AgentMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var orderId = message.KindCase switch
        {
            AgentMessage.KindOneofCase.PrePullProgress => message.PrePullProgress.OrderId,
            AgentMessage.KindOneofCase.PrePullResult => message.PrePullResult.OrderId,
            _ => null,
        };
        if (orderId is not null && _orders.TryGetValue(orderId, out var channel))
        {
            channel.Writer.TryWrite(message);
        }
    }
}
