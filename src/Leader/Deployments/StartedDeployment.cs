using System.Threading.Channels;
using Cluster.Leader.Storage;
using Cluster.Protos.Admin.V1;

namespace Cluster.Leader.Deployments;

// A deployment just started: its id, its events (the last one is the final record), and a task
// that completes with the record when it ends.
public sealed record StartedDeployment(string Id, ChannelReader<DeployEvent> Events, Task<DeploymentRecord> Done);
