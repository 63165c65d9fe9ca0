namespace Cluster.Lab.Tests.Fixture;

// Every test class that touches the lab joins this collection, so the lab fixture is shared by
// all of them and they never run in parallel against the same swarm.
[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "lab";
}
