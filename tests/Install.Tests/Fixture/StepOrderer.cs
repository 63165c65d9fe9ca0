using Xunit.Abstractions;
using Xunit.Sdk;

namespace Cluster.Install.Tests.Fixture;

// The install tests are the steps of one machine's life (install, upgrade, add a node, bad
// input against the running leader, uninstall), so they run in the order of [Step(n)].
[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

public sealed class StepOrderer : ITestCaseOrderer
{
    public const string Name = "Cluster.Install.Tests.Fixture.StepOrderer";

    public const string Assembly = "Cluster.Install.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName)
            .Select(a => a.GetConstructorArguments().OfType<int>().First())
            .DefaultIfEmpty(int.MaxValue)
            .First())
        .ThenBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}
