using System.Reflection;
using System.Reflection.Emit;

namespace Cluster.Leader.Tests.Support;

// The types one type of the compiled leader refers to: its base type and interfaces, the types
// in its fields', properties', events', methods' and constructors' signatures, its generic
// parameters' constraints, its attributes (on the type and on every member, parameter, return
// value and generic parameter, with the types and enums their arguments name), and in its
// method bodies every type, method or field token of the IL, every local's type and every
// caught exception type, including those of the compiler's nested types (lambdas' closures,
// async state machines). Reflection over the assembly, not the source text, so a reference
// written as a partly qualified name or hidden in a lambda counts. Blind by nature to what the
// compiler copies into the IL as a value: a `const` or an enum member of another folder read
// as a number, `nameof`.
public static class TypeReferences
{
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    // Read once per type and run: the compiled assembly does not change while tests run, and
    // walking every method's IL is most of what the dependency tests cost.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, IReadOnlyDictionary<Type, string>> Read = new();

    // Each referenced type with one member of `type` that refers to it (for the failure message).
    public static IReadOnlyDictionary<Type, string> Of(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Read.GetOrAdd(type, t =>
        {
            var found = new Dictionary<Type, string>();
            Collect(t, found);
            return found;
        });
    }

    private static void Collect(Type type, Dictionary<Type, string> found)
    {
        Add(found, type.BaseType, $"{type.Name} : base");
        foreach (var i in type.GetInterfaces())
        {
            Add(found, i, $"{type.Name} : interface");
        }

        AddAttributes(found, type.CustomAttributes, type.Name);
        AddGenericParameters(found, type.IsGenericTypeDefinition ? type.GetGenericArguments() : [], type.Name);
        foreach (var field in type.GetFields(All))
        {
            Add(found, field.FieldType, $"{type.Name}.{field.Name}");
            AddAttributes(found, field.CustomAttributes, $"{type.Name}.{field.Name}");
        }

        foreach (var property in type.GetProperties(All))
        {
            Add(found, property.PropertyType, $"{type.Name}.{property.Name}");
            AddAttributes(found, property.CustomAttributes, $"{type.Name}.{property.Name}");
        }

        foreach (var @event in type.GetEvents(All))
        {
            Add(found, @event.EventHandlerType, $"{type.Name}.{@event.Name}");
            AddAttributes(found, @event.CustomAttributes, $"{type.Name}.{@event.Name}");
        }

        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            var where = $"{type.Name}.{method.Name}";
            if (method is MethodInfo m)
            {
                Add(found, m.ReturnType, where);
                AddAttributes(found, m.ReturnParameter.CustomAttributes, where);
                AddGenericParameters(found, m.IsGenericMethodDefinition ? m.GetGenericArguments() : [], where);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add(found, parameter.ParameterType, where);
                AddAttributes(found, parameter.CustomAttributes, where);
            }

            AddAttributes(found, method.CustomAttributes, where);
            Body(method, found, where);
        }

        foreach (var nested in type.GetNestedTypes(All))
        {
            Collect(nested, found);
        }
    }

    // Walks the IL (every operand that is a metadata token for a type, method or field), the
    // locals' types and the catch clauses' types (neither is an operand in the IL).
    private static void Body(MethodBase method, Dictionary<Type, string> found, string where)
    {
        foreach (var member in MembersIn(method))
        {
            AddMember(found, member, where);
        }

        if (method.GetMethodBody() is not { } body)
        {
            return;
        }

        foreach (var local in body.LocalVariables)
        {
            Add(found, local.LocalType, where);
        }

        foreach (var clause in body.ExceptionHandlingClauses.Where(c => c.Flags == ExceptionHandlingClauseOptions.Clause))
        {
            Add(found, clause.CatchType, where);
        }
    }

    // Generic parameters' constraints (`where T : X`) and attributes.
    private static void AddGenericParameters(Dictionary<Type, string> found, Type[] parameters, string where)
    {
        foreach (var parameter in parameters)
        {
            foreach (var constraint in parameter.GetGenericParameterConstraints())
            {
                Add(found, constraint, where);
            }

            AddAttributes(found, parameter.CustomAttributes, where);
        }
    }

    // The types, methods and fields `method`'s own IL names (calls, field accesses, ldtoken,
    // newobj, ldftn), in IL order; not those of the lambdas or state machines it creates.
    public static IEnumerable<MemberInfo> MembersIn(MethodBase method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var i = 0;
        while (i < il.Length)
        {
            short value = il[i++];
            if (value == 0xFE)
            {
                value = (short)(0xFE00 | il[i++]);
            }

            var opCode = OpCodesByValue[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    var token = BitConverter.ToInt32(il, i);
                    if (Resolve(method.Module, token, typeArguments, methodArguments) is { } member)
                    {
                        yield return member;
                    }

                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                default:
                    i += Size(opCode.OperandType);
                    break;
            }
        }
    }

    private static MemberInfo? Resolve(Module module, int token, Type[]? typeArguments, Type[]? methodArguments)
    {
        try
        {
            return module.ResolveMember(token, typeArguments, methodArguments);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static void AddMember(Dictionary<Type, string> found, MemberInfo? member, string where)
    {
        switch (member)
        {
            case Type t:
                Add(found, t, where);
                break;
            case FieldInfo f:
                Add(found, f.DeclaringType, where);
                Add(found, f.FieldType, where);
                break;
            case MethodBase m:
                Add(found, m.DeclaringType, where);
                if (m is MethodInfo mi)
                {
                    Add(found, mi.ReturnType, where);
                    foreach (var argument in mi.IsGenericMethod ? mi.GetGenericArguments() : [])
                    {
                        Add(found, argument, where);
                    }
                }

                foreach (var parameter in m.GetParameters())
                {
                    Add(found, parameter.ParameterType, where);
                }

                break;
        }
    }

    private static void AddAttributes(Dictionary<Type, string> found, IEnumerable<CustomAttributeData> attributes, string where)
    {
        foreach (var attribute in attributes)
        {
            Add(found, attribute.AttributeType, where);
            foreach (var argument in attribute.ConstructorArguments.Concat(attribute.NamedArguments.Select(n => n.TypedValue)))
            {
                AddArgument(found, argument, where);
            }
        }
    }

    // An attribute argument's type (an enum of another folder) and the type it names (`typeof`),
    // arrays element by element.
    private static void AddArgument(Dictionary<Type, string> found, CustomAttributeTypedArgument argument, string where)
    {
        Add(found, argument.ArgumentType, where);
        switch (argument.Value)
        {
            case Type named:
                Add(found, named, where);
                break;
            case IEnumerable<CustomAttributeTypedArgument> elements:
                foreach (var element in elements)
                {
                    AddArgument(found, element, where);
                }

                break;
        }
    }

    // The type and what it is made of: element types, generic arguments.
    private static void Add(Dictionary<Type, string> found, Type? type, string where)
    {
        while (type is not null && (type.HasElementType))
        {
            type = type.GetElementType();
        }

        if (type is null || type.IsGenericParameter)
        {
            return;
        }

        if (type.IsFunctionPointer)
        {
            Add(found, type.GetFunctionPointerReturnType(), where);
            foreach (var parameter in type.GetFunctionPointerParameterTypes())
            {
                Add(found, parameter, where);
            }

            return;
        }

        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                Add(found, argument, where);
            }

            type = type.GetGenericTypeDefinition();
        }

        found.TryAdd(type, where);
    }

    private static int Size(OperandType operand) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}
