using Cluster.Leader.Tests.Support;
using Cluster.Leader.Tests.TypeReferenceFixtures;

namespace Cluster.Leader.Tests;

// LeaderDependencyTests is only as good as TypeReferences: a kind of reference it cannot see lets
// a cycle between the leader's folders through. Each fixture below refers to its marker type in
// exactly one way, and nowhere else.
public sealed class TypeReferencesTests
{
    [Theory]
    [InlineData(typeof(ViaCatch), typeof(MarkerException))]
    [InlineData(typeof(ViaMethodConstraint), typeof(IConstraintMarker))]
    [InlineData(typeof(ViaTypeConstraint<>), typeof(IConstraintMarker))]
    [InlineData(typeof(ViaTypeofInAttribute), typeof(TypeofMarker))]
    [InlineData(typeof(ViaEnumInAttribute), typeof(EnumMarker))]
    [InlineData(typeof(ViaPropertyAttribute), typeof(PropertyMarkerAttribute))]
    [InlineData(typeof(ViaParameterAttribute), typeof(ParameterMarkerAttribute))]
    [InlineData(typeof(ViaReturnAttribute), typeof(ReturnMarkerAttribute))]
    [InlineData(typeof(ViaGenericParameterAttribute<>), typeof(GenericParameterMarkerAttribute))]
    [InlineData(typeof(ViaEventAttribute), typeof(EventMarkerAttribute))]
    public void Of_TypeReferredToInOneWay_IsFound(Type fixture, Type marker) =>
        Assert.Contains(marker, TypeReferences.Of(fixture).Keys);
}
