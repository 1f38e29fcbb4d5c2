using Mono.Cecil;

namespace Vigil.Architecture.Tests;

/// <summary>
/// The namespace dependency graph of one assembly, read from its metadata and IL with Mono.Cecil: namespace A depends
/// on namespace B when a type of A (or a type nested in it, such as a lambda's closure or an async state machine)
/// names a type of B anywhere — base type, interfaces, fields, properties, signatures, attributes, generic arguments,
/// locals, or an instruction's operand. Only namespaces of the assembly itself are nodes.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, string>> _edges = new(StringComparer.Ordinal);

    private NamespaceGraph(string assembly) => Assembly = assembly;

    /// <summary>The assembly's name.</summary>
    public string Assembly { get; }

    /// <summary>Each namespace's dependencies, each with one example ("Type uses Other.Type") for the failure message.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, string>> Edges => _edges;

    public static NamespaceGraph Read(string path)
    {
        using var module = ModuleDefinition.ReadModule(path);
        var graph = new NamespaceGraph(module.Assembly.Name.Name);
        var own = new HashSet<string>(module.Types.Where(t => t.Namespace.Length > 0).Select(t => t.Namespace), StringComparer.Ordinal);
        foreach (var type in module.Types)
        {
            if (type.Namespace.Length == 0)
            {
                continue; // <Module>, compiler-generated types at the root (embedded attributes)
            }

            foreach (var used in References(type))
            {
                var target = TopLevel(used).Namespace;
                if (target.Length > 0 && own.Contains(target) && target != type.Namespace && TopLevel(used).Scope == module)
                {
                    graph.Add(type.Namespace, target, $"{type.FullName} uses {used.FullName}");
                }
            }
        }

        return graph;
    }

    /// <summary>The strongly connected components with more than one namespace: every cycle of the graph.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = 0;
        var indices = new Dictionary<string, int>(StringComparer.Ordinal);
        var lowLinks = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<IReadOnlyList<string>>();

        void Connect(string node)
        {
            indices[node] = lowLinks[node] = index++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in _edges.TryGetValue(node, out var targets) ? targets.Keys.ToList() : [])
            {
                if (!indices.ContainsKey(next))
                {
                    Connect(next);
                    lowLinks[node] = Math.Min(lowLinks[node], lowLinks[next]);
                }
                else if (onStack.Contains(next))
                {
                    lowLinks[node] = Math.Min(lowLinks[node], indices[next]);
                }
            }

            if (lowLinks[node] == indices[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    components.Add(component);
                }
            }
        }

        foreach (var node in _edges.Keys.Concat(_edges.Values.SelectMany(v => v.Keys)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList())
        {
            if (!indices.ContainsKey(node))
            {
                Connect(node);
            }
        }

        return components;
    }

    /// <summary>A cycle in words: each edge inside it with its example.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var members = cycle.ToHashSet(StringComparer.Ordinal);
        var lines = from source in cycle
                    from edge in _edges.TryGetValue(source, out var targets) ? targets : []
                    where members.Contains(edge.Key)
                    select $"  {source} -> {edge.Key} ({edge.Value})";
        return $"{Assembly}: {string.Join(", ", cycle)}\n{string.Join("\n", lines)}";
    }

    private void Add(string from, string to, string example)
    {
        if (!_edges.TryGetValue(from, out var targets))
        {
            _edges[from] = targets = new Dictionary<string, string>(StringComparer.Ordinal);
        }

        targets.TryAdd(to, example);
    }

    private static TypeReference TopLevel(TypeReference type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }

    /// <summary>Every type <paramref name="type"/> and its nested types name.</summary>
    private static IEnumerable<TypeReference> References(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? reference)
        {
            switch (reference)
            {
                case null:
                    return;
                case GenericInstanceType generic:
                    Add(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Add(argument);
                    }

                    return;
                case TypeSpecification specification: // arrays, by-ref, pointers, modifiers
                    Add(specification.ElementType);
                    return;
                case GenericParameter:
                    return;
                default:
                    found.Add(reference);
                    return;
            }
        }

        void Attributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
                foreach (var argument in attribute.ConstructorArguments)
                {
                    Add(argument.Value as TypeReference);
                }
            }
        }

        void Method(MethodReference method)
        {
            Add(method.DeclaringType);
            Add(method.ReturnType);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType);
            }

            if (method is GenericInstanceMethod generic)
            {
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument);
                }
            }
        }

        void Visit(TypeDefinition definition)
        {
            Attributes(definition);
            Add(definition.BaseType);
            foreach (var implemented in definition.Interfaces)
            {
                Add(implemented.InterfaceType);
            }

            foreach (var field in definition.Fields)
            {
                Attributes(field);
                Add(field.FieldType);
            }

            foreach (var property in definition.Properties)
            {
                Attributes(property);
                Add(property.PropertyType);
            }

            foreach (var @event in definition.Events)
            {
                Add(@event.EventType);
            }

            foreach (var method in definition.Methods)
            {
                Attributes(method);
                Method(method);
                foreach (var parameter in method.Parameters)
                {
                    Attributes(parameter);
                }

                if (!method.HasBody)
                {
                    continue;
                }

                foreach (var variable in method.Body.Variables)
                {
                    Add(variable.VariableType);
                }

                foreach (var instruction in method.Body.Instructions)
                {
                    switch (instruction.Operand)
                    {
                        case TypeReference typeOperand:
                            Add(typeOperand);
                            break;
                        case MethodReference methodOperand:
                            Method(methodOperand);
                            break;
                        case FieldReference fieldOperand:
                            Add(fieldOperand.DeclaringType);
                            Add(fieldOperand.FieldType);
                            break;
                        case CallSite callSite:
                            Add(callSite.ReturnType);
                            break;
                    }
                }
            }

            foreach (var nested in definition.NestedTypes)
            {
                Visit(nested);
            }
        }

        Visit(type);
        return found;
    }
}
