using System.Reflection;
using Cluster.Leader.Hosting;
using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests;

// #15 item 6: no service wires delegates into another from its constructor. Subscriptions to
// another type's event happen when the leader starts (Hosting/LeaderWiring, or a hosted
// service's own start), so constructing a service changes nothing elsewhere. Read from the
// compiled leader: each constructor's IL and the IL of the type's own methods it calls, for a
// call to an event's add accessor declared on another type. (That the wiring works is what
// SwappedSecretTests shows: an agent session receives a credential change after a restart.)
public sealed class LeaderWiringTests
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void Constructors_NeverSubscribeToAnotherTypesEvent()
    {
        var found = new List<string>();
        foreach (var type in typeof(LeaderHost).Assembly.GetTypes())
        {
            foreach (var constructor in type.GetConstructors(Declared))
            {
                found.AddRange(Subscriptions(type, constructor, []).Select(e => $"{type.FullName} constructor subscribes to {e}"));
            }
        }

        Assert.True(found.Count == 0, "wire these at start (Hosting/LeaderWiring or the service's StartAsync):\n" + string.Join("\n", found));
    }

    [Fact]
    public void LeaderWiring_SubscribesWhenItStarts()
    {
        var start = typeof(LeaderWiring).GetMethod(nameof(LeaderWiring.StartAsync))!;

        Assert.NotEmpty(Subscriptions(typeof(LeaderWiring), start, []));
    }

    // The events of other types that `method` subscribes to, directly or through methods of
    // `type` itself that it calls.
    private static IEnumerable<string> Subscriptions(Type type, MethodBase method, HashSet<MethodBase> seen)
    {
        if (!seen.Add(method))
        {
            yield break;
        }

        foreach (var member in TypeReferences.MembersIn(method))
        {
            if (member is MethodInfo { IsSpecialName: true, DeclaringType: { } declaring } adder &&
                adder.Name.StartsWith("add_", StringComparison.Ordinal) &&
                declaring.GetEvents(Declared).Any(e => e.AddMethod == adder) &&
                !declaring.IsAssignableFrom(type))
            {
                yield return $"{declaring.Name}.{adder.Name[4..]}";
            }
            else if (member is MethodBase callee && callee.DeclaringType == type)
            {
                foreach (var inner in Subscriptions(type, callee, seen))
                {
                    yield return inner;
                }
            }
        }
    }
}
