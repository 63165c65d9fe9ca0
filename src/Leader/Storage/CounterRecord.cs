namespace Cluster.Leader.Storage;

public sealed class CounterRecord
{
    public string Id { get; set; } = "";

    public long Value { get; set; }
}
