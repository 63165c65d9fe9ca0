using System.ComponentModel;

namespace Cluster.Leader.Tests.TypeReferenceFixtures;

// TypeReferencesTests' fixtures: each refers to its marker type in exactly one way.

// `catch (X)` without a variable: X is only in the method body's exception clauses.
public static class ViaCatch
{
    public static void Run(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            action();
        }
        catch (MarkerException)
        {
            // swallowed: only the clause's type matters
        }
    }
}

public static class ViaMethodConstraint
{
    public static bool Run<T>(T value)
        where T : IConstraintMarker => value is not null;
}

public sealed class ViaTypeConstraint<T>
    where T : IConstraintMarker
{
    public T? Value { get; set; }
}

[TypeConverter(typeof(TypeofMarker))]
public sealed class ViaTypeofInAttribute;

[Kind(EnumMarker.Some)]
public sealed class ViaEnumInAttribute;

public sealed class ViaPropertyAttribute
{
    [PropertyMarker]
    public int Value { get; set; }
}

public static class ViaParameterAttribute
{
    public static int Run([ParameterMarker] int value) => value;
}

public static class ViaReturnAttribute
{
    [return: ReturnMarker]
    public static int Run() => 1;
}

public sealed class ViaGenericParameterAttribute<[GenericParameterMarker] T>
{
    public T? Value { get; set; }
}

public sealed class ViaEventAttribute
{
    [EventMarker]
    public event EventHandler? Changed;

    public void Raise() => Changed?.Invoke(this, EventArgs.Empty);
}

public sealed class MarkerException : Exception
{
    public MarkerException()
    {
    }

    public MarkerException(string message)
        : base(message)
    {
    }

    public MarkerException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

public interface IConstraintMarker
{
    int Value { get; }
}

public sealed class TypeofMarker;

public enum EnumMarker
{
    None,
    Some,
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class KindAttribute(object value) : Attribute
{
    public object Value { get; } = value;
}

[AttributeUsage(AttributeTargets.Property)]
public sealed class PropertyMarkerAttribute : Attribute;

[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ParameterMarkerAttribute : Attribute;

[AttributeUsage(AttributeTargets.ReturnValue)]
public sealed class ReturnMarkerAttribute : Attribute;

[AttributeUsage(AttributeTargets.GenericParameter)]
public sealed class GenericParameterMarkerAttribute : Attribute;

[AttributeUsage(AttributeTargets.Event)]
public sealed class EventMarkerAttribute : Attribute;
