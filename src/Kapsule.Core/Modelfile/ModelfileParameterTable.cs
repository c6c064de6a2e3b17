using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace Kapsule.Modelfile
{
    /// <summary>The type of a PARAMETER value, after the kind of the Go field in Ollama's api.Options.</summary>
    public enum ModelfileParameterType
    {
        /// <summary>A 64-bit integer (Go <c>strconv.ParseInt(s, 10, 64)</c>); held as <see cref="long"/>.</summary>
        Integer,
        /// <summary>A decimal number that fits a float32 (Go <c>strconv.ParseFloat(s, 32)</c>); held as <see cref="double"/>.</summary>
        Float,
        /// <summary>A boolean in Go's <c>strconv.ParseBool</c> spellings; held as <see cref="bool"/>.</summary>
        Boolean,
        /// <summary>A string that may repeat; the values accumulate in order (only <c>stop</c>). Each held as <see cref="string"/>.</summary>
        StringList,
    }

    /// <summary>One row of the parameter table: a name Ollama accepts, its type, and whether it is deprecated.</summary>
    public sealed class ModelfileParameterInfo
    {
        internal ModelfileParameterInfo(string name, ModelfileParameterType type, bool deprecated)
        {
            Name = name;
            Type = type;
            Deprecated = deprecated;
        }

        /// <summary>The exact (case-sensitive) name, as the JSON tag in Ollama's api.Options.</summary>
        public string Name { get; }
        public ModelfileParameterType Type { get; }
        /// <summary>Ollama warns about and drops a deprecated parameter; Kapsule does the same.</summary>
        public bool Deprecated { get; }
        public bool Repeatable => Type == ModelfileParameterType.StringList;

        public override string ToString() => Deprecated ? $"{Name} ({Type}, deprecated)" : $"{Name} ({Type})";
    }

    /// <summary>
    /// Every PARAMETER name Ollama's Modelfile accepts (api.Options and its embedded Runner), with its type,
    /// plus the deprecated names Ollama still recognises (it warns and drops them).
    /// </summary>
    public static class ModelfileParameterTable
    {
        private static readonly ModelfileParameterInfo[] Rows =
        {
            // Runner options
            new ModelfileParameterInfo("num_ctx", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("num_batch", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("num_gpu", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("main_gpu", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("use_mmap", ModelfileParameterType.Boolean, false),
            new ModelfileParameterInfo("num_thread", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("draft_num_predict", ModelfileParameterType.Integer, false),
            // Predict options
            new ModelfileParameterInfo("num_keep", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("seed", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("num_predict", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("top_k", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("top_p", ModelfileParameterType.Float, false),
            new ModelfileParameterInfo("min_p", ModelfileParameterType.Float, false),
            new ModelfileParameterInfo("typical_p", ModelfileParameterType.Float, false),
            new ModelfileParameterInfo("repeat_last_n", ModelfileParameterType.Integer, false),
            new ModelfileParameterInfo("temperature", ModelfileParameterType.Float, false),
            new ModelfileParameterInfo("repeat_penalty", ModelfileParameterType.Float, false),
            new ModelfileParameterInfo("presence_penalty", ModelfileParameterType.Float, false),
            new ModelfileParameterInfo("frequency_penalty", ModelfileParameterType.Float, false),
            new ModelfileParameterInfo("stop", ModelfileParameterType.StringList, false),
            // Deprecated: Ollama prints "warning: parameter X is deprecated" and ignores them
            new ModelfileParameterInfo("penalize_newline", ModelfileParameterType.Boolean, true),
            new ModelfileParameterInfo("low_vram", ModelfileParameterType.Boolean, true),
            new ModelfileParameterInfo("f16_kv", ModelfileParameterType.Boolean, true),
            new ModelfileParameterInfo("logits_all", ModelfileParameterType.Boolean, true),
            new ModelfileParameterInfo("vocab_only", ModelfileParameterType.Boolean, true),
            new ModelfileParameterInfo("use_mlock", ModelfileParameterType.Boolean, true),
            new ModelfileParameterInfo("mirostat", ModelfileParameterType.Integer, true),
            new ModelfileParameterInfo("mirostat_tau", ModelfileParameterType.Float, true),
            new ModelfileParameterInfo("mirostat_eta", ModelfileParameterType.Float, true),
        };

        private static readonly Dictionary<string, ModelfileParameterInfo> ByName =
            Rows.ToDictionary(r => r.Name, StringComparer.Ordinal);

        private static readonly Regex IntegerText = new Regex(@"^[+-]?[0-9]+$", RegexOptions.CultureInvariant);
        private static readonly Regex FloatText = new Regex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant);

        /// <summary>All rows, in Ollama's field order, deprecated names last.</summary>
        public static IReadOnlyList<ModelfileParameterInfo> All => Rows;

        /// <summary>The row for <paramref name="name"/> (exact, case-sensitive), or null.</summary>
        public static ModelfileParameterInfo? Find(string name)
            => name != null && ByName.TryGetValue(name, out var info) ? info : null;

        /// <summary>A known (not deprecated) name that differs from <paramref name="name"/> only by case, for a hint.</summary>
        internal static string? SuggestByCase(string name)
            => Rows.FirstOrDefault(r => !r.Deprecated && string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))?.Name;

        /// <summary>
        /// Parses a value's text as Ollama would for <paramref name="type"/>. Returns false with a reason when it
        /// does not parse. Floats must be plain decimals (no inf, nan or hex) and fit a float32.
        /// </summary>
        public static bool TryParseValue(ModelfileParameterType type, string text, out object? value, out string? reason)
        {
            value = null;
            reason = null;
            switch (type)
            {
                case ModelfileParameterType.Integer:
                    if (!IntegerText.IsMatch(text))
                    {
                        reason = "expected a whole number such as 4096";
                        return false;
                    }
                    if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
                    {
                        reason = "the number is out of range for a 64-bit integer";
                        return false;
                    }
                    value = l;
                    return true;
                case ModelfileParameterType.Float:
                    if (!FloatText.IsMatch(text))
                    {
                        reason = "expected a number such as 0.8";
                        return false;
                    }
                    double d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                    if (double.IsInfinity(d) || Math.Abs(d) > float.MaxValue)
                    {
                        reason = "the number is out of range for a 32-bit float";
                        return false;
                    }
                    value = d;
                    return true;
                case ModelfileParameterType.Boolean:
                    switch (text)
                    {
                        case "1": case "t": case "T": case "true": case "TRUE": case "True":
                            value = true;
                            return true;
                        case "0": case "f": case "F": case "false": case "FALSE": case "False":
                            value = false;
                            return true;
                        default:
                            reason = "expected true or false";
                            return false;
                    }
                default:
                    value = text;
                    return true;
            }
        }

        /// <summary>
        /// Turns a value given in code (a PowerShell number, a string, a bool) into the typed value the table
        /// asks for, or returns false with a reason.
        /// </summary>
        internal static bool TryCoerce(ModelfileParameterType type, object? input, out object? value, out string? reason)
        {
            value = null;
            reason = null;
            if (input is null)
            {
                reason = "the value is null";
                return false;
            }
            if (input is string s)
            {
                return TryParseValue(type, s, out value, out reason);
            }
            switch (type)
            {
                case ModelfileParameterType.Integer:
                    switch (input)
                    {
                        case long l: value = l; return true;
                        case int i: value = (long)i; return true;
                        case short sh: value = (long)sh; return true;
                        case byte b: value = (long)b; return true;
                        case sbyte sb: value = (long)sb; return true;
                        case ushort us: value = (long)us; return true;
                        case uint ui: value = (long)ui; return true;
                    }
                    reason = $"expected a whole number, not a {input.GetType().Name}";
                    return false;
                case ModelfileParameterType.Float:
                    double d;
                    switch (input)
                    {
                        case double dd: d = dd; break;
                        case float f: d = f; break;
                        case decimal m: d = (double)m; break;
                        case long l: d = l; break;
                        case int i: d = i; break;
                        default:
                            reason = $"expected a number, not a {input.GetType().Name}";
                            return false;
                    }
                    if (double.IsNaN(d) || double.IsInfinity(d) || Math.Abs(d) > float.MaxValue)
                    {
                        reason = "the number must be finite and fit a 32-bit float";
                        return false;
                    }
                    value = d;
                    return true;
                case ModelfileParameterType.Boolean:
                    if (input is bool bo)
                    {
                        value = bo;
                        return true;
                    }
                    reason = $"expected true or false, not a {input.GetType().Name}";
                    return false;
                default:
                    reason = $"expected a string, not a {input.GetType().Name}";
                    return false;
            }
        }

        /// <summary>The text the canonical writer uses for a typed value (invariant, shortest round-trip form).</summary>
        public static string FormatValue(object value)
        {
            switch (value)
            {
                case bool b:
                    return b ? "true" : "false";
                case long l:
                    return l.ToString(CultureInfo.InvariantCulture);
                case double d:
                    string r = d.ToString("R", CultureInfo.InvariantCulture);
                    if (double.Parse(r, CultureInfo.InvariantCulture) != d)
                    {
                        r = d.ToString("G17", CultureInfo.InvariantCulture);
                    }
                    // "1E-05" is fine for ParseFloat, but keep the grammar's plain form: digits, '.', 'E' and sign only.
                    return r;
                case string s:
                    return s;
                default:
                    return Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
            }
        }
    }
}
