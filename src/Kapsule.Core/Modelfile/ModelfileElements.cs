using System;
using System.Globalization;

namespace Kapsule.Modelfile
{
    /// <summary>The instructions of Ollama's Modelfile.</summary>
    public enum ModelfileInstructionKind
    {
        From,
        Parameter,
        Template,
        System,
        Adapter,
        License,
        Message,
        Requires,
        Draft,
        Renderer,
        Parser,
    }

    /// <summary>How a value was written in the file.</summary>
    public enum ModelfileQuoting
    {
        /// <summary>To the end of the line, trimmed.</summary>
        None,
        /// <summary><c>"..."</c>, may span lines.</summary>
        Double,
        /// <summary><c>"""..."""</c>, may span lines.</summary>
        Triple,
    }

    /// <summary>
    /// One instruction as it appeared in the file, with positions (1-based; a column counts characters, a tab is one).
    /// The list of these on <see cref="KapsuleModelfile.Instructions"/> is what later stages cite in their errors.
    /// </summary>
    public sealed class ModelfileInstruction
    {
        public ModelfileInstruction(ModelfileInstructionKind kind, string keyword, string? name, string value,
            ModelfileQuoting quoting, int line, int column, int valueLine, int valueColumn)
        {
            Kind = kind;
            Keyword = keyword;
            Name = name;
            Value = value;
            Quoting = quoting;
            Line = line;
            Column = column;
            ValueLine = valueLine;
            ValueColumn = valueColumn;
        }

        public ModelfileInstructionKind Kind { get; }
        /// <summary>The keyword as written (any case).</summary>
        public string Keyword { get; }
        /// <summary>The parameter name (PARAMETER) or role (MESSAGE); null for other instructions.</summary>
        public string? Name { get; }
        /// <summary>The value after unquoting (a PARAMETER's text before typing).</summary>
        public string Value { get; }
        public ModelfileQuoting Quoting { get; }
        public int Line { get; }
        public int Column { get; }
        public int ValueLine { get; }
        public int ValueColumn { get; }

        public override string ToString() => $"line {Line}: {Keyword.ToUpperInvariant()}{(Name is null ? "" : " " + Name)}";
    }

    /// <summary>A PARAMETER: its exact name and its typed value (long, double, bool or string).</summary>
    public sealed class ModelfileParameter
    {
        /// <summary>
        /// Makes a parameter, checking the name against <see cref="ModelfileParameterTable"/> and turning
        /// <paramref name="value"/> into the table's type (a string is parsed as the Modelfile would).
        /// </summary>
        /// <exception cref="KapsuleException">KapsuleModelfileInvalid: unknown or deprecated name, or a value of the wrong type.</exception>
        public ModelfileParameter(string name, object value)
            : this(name, value, 0, 0)
        {
        }

        public ModelfileParameter(string name, object value, int line, int column)
        {
            if (name is null) throw new ArgumentNullException(nameof(name));
            var info = ModelfileParameterTable.Find(name);
            if (info is null)
            {
                throw new KapsuleException(ErrorIds.ModelfileInvalid, KapsuleErrorKind.InvalidArgument,
                    UnknownParameterMessage(name));
            }
            if (info.Deprecated)
            {
                throw new KapsuleException(ErrorIds.ModelfileInvalid, KapsuleErrorKind.InvalidArgument,
                    $"parameter '{name}' is deprecated and Ollama ignores it; remove it");
            }
            if (!ModelfileParameterTable.TryCoerce(info.Type, value, out var typed, out var reason))
            {
                throw new KapsuleException(ErrorIds.ModelfileInvalid, KapsuleErrorKind.InvalidArgument,
                    $"invalid {TypeWord(info.Type)} value '{Convert.ToString(value, CultureInfo.InvariantCulture)}' for parameter '{name}': {reason}");
            }
            Name = name;
            Type = info.Type;
            Value = typed!;
            Line = line;
            Column = column;
        }

        public string Name { get; }
        public ModelfileParameterType Type { get; }
        /// <summary>long (Integer), double (Float), bool (Boolean) or string (StringList: one entry per PARAMETER line).</summary>
        public object Value { get; }
        /// <summary>Where the PARAMETER keyword was (0 when made in code).</summary>
        public int Line { get; }
        public int Column { get; }

        /// <summary>The value as the canonical writer prints it.</summary>
        public string ValueText => ModelfileParameterTable.FormatValue(Value);

        internal bool ContentEquals(ModelfileParameter other)
            => string.Equals(Name, other.Name, StringComparison.Ordinal) && Equals(Value, other.Value);

        public override string ToString() => $"{Name} {ValueText}";

        internal static string TypeWord(ModelfileParameterType type) => type switch
        {
            ModelfileParameterType.Integer => "int",
            ModelfileParameterType.Float => "float",
            ModelfileParameterType.Boolean => "bool",
            _ => "string",
        };

        internal static string UnknownParameterMessage(string name)
        {
            var hint = ModelfileParameterTable.SuggestByCase(name);
            return hint is null
                ? $"unknown parameter '{name}'"
                : $"unknown parameter '{name}'; parameter names are case-sensitive: did you mean '{hint}'?";
        }
    }

    /// <summary>A MESSAGE: a role (system, user or assistant, lowercase) and its content.</summary>
    public sealed class ModelfileMessage
    {
        public ModelfileMessage(string role, string content)
            : this(role, content, 0, 0)
        {
        }

        public ModelfileMessage(string role, string content, int line, int column)
        {
            if (!IsValidRole(role))
            {
                throw new KapsuleException(ErrorIds.ModelfileInvalid, KapsuleErrorKind.InvalidArgument, RoleMessage(role));
            }
            Role = role;
            Content = content ?? throw new ArgumentNullException(nameof(content));
            Line = line;
            Column = column;
        }

        public string Role { get; }
        public string Content { get; }
        public int Line { get; }
        public int Column { get; }

        public static bool IsValidRole(string? role) => role == "system" || role == "user" || role == "assistant";

        internal static string RoleMessage(string? role)
            => $"message role must be one of \"system\", \"user\", or \"assistant\" (lowercase), not '{role}'";

        public override string ToString() => $"{Role}: {Content}";
    }

    /// <summary>Something the parser accepted but that the user should know (a deprecated parameter, ...).</summary>
    public sealed class ModelfileWarning
    {
        public ModelfileWarning(string message, string? sourcePath, int line, int column)
        {
            Message = message;
            SourcePath = sourcePath;
            Line = line;
            Column = column;
        }

        public string Message { get; }
        public string? SourcePath { get; }
        public int Line { get; }
        public int Column { get; }

        public override string ToString() => ModelfileException.Locate(SourcePath, Line, Column) + Message;
    }

    /// <summary>
    /// A Modelfile error with its place: <c>line 4, column 11: unterminated """ string started here</c>.
    /// ErrorId is KapsuleModelfileSyntax (the text breaks the grammar) or KapsuleModelfileInvalid
    /// (the text parses but a value is wrong, or there is no FROM).
    /// </summary>
    public sealed class ModelfileException : KapsuleException
    {
        public ModelfileException(string errorId, string reason, string? sourcePath, int line, int column)
            : base(errorId, KapsuleErrorKind.InvalidData, Locate(sourcePath, line, column) + reason)
        {
            Reason = reason;
            SourcePath = sourcePath;
            Line = line;
            Column = column;
            Target = sourcePath;
        }

        /// <summary>What was wrong and what was expected, without the place.</summary>
        public string Reason { get; }
        public string? SourcePath { get; }
        /// <summary>1-based line.</summary>
        public int Line { get; }
        /// <summary>1-based column (characters; a tab counts one).</summary>
        public int Column { get; }

        internal static string Locate(string? sourcePath, int line, int column)
        {
            string place = line > 0 ? $"line {line}, column {column}: " : string.Empty;
            return string.IsNullOrEmpty(sourcePath) ? place : $"{sourcePath}: {place}";
        }
    }
}
