using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Kapsule.Modelfile
{
    /// <summary>
    /// A parsed Ollama Modelfile. Repeated instructions follow Ollama: TEMPLATE, SYSTEM, ADAPTER, DRAFT, RENDERER,
    /// PARSER and REQUIRES keep the last value; LICENSE, MESSAGE and PARAMETER stop accumulate; other PARAMETERs
    /// are all kept in order and the last one wins in <see cref="GetParameter"/>.
    /// </summary>
    /// <remarks>
    /// ADAPTER is a single value: Ollama's create request replaces its adapters with each ADAPTER line
    /// (the last wins), and one ADAPTER may name a folder of adapter files. FROM may repeat: Ollama merges the
    /// files of every local FROM (a model and its vision projector), so the first is <see cref="From"/> and the
    /// others are kept, in order, in <see cref="AdditionalFrom"/>.
    /// </remarks>
    public sealed class KapsuleModelfile
    {
        /// <summary>The first FROM: a model reference, or a path to a GGUF/safetensors/PyTorch file or a model folder.</summary>
        public string? From { get; set; }
        /// <summary>Later FROM lines (for example a vision projector GGUF), in order.</summary>
        public List<string> AdditionalFrom { get; } = new List<string>();
        public string? Template { get; set; }
        public string? System { get; set; }
        public string? Adapter { get; set; }
        /// <summary>DRAFT: a draft (speculative decoding) model path or name.</summary>
        public string? Draft { get; set; }
        public string? Renderer { get; set; }
        public string? Parser { get; set; }
        /// <summary>REQUIRES: the minimum Ollama version, a semantic version without the optional 'v' prefix.</summary>
        public string? Requires { get; set; }
        /// <summary>PARAMETERs in file order, typed.</summary>
        public List<ModelfileParameter> Parameters { get; } = new List<ModelfileParameter>();
        public List<ModelfileMessage> Messages { get; } = new List<ModelfileMessage>();
        /// <summary>Each LICENSE, in order (Ollama makes one layer of each).</summary>
        public List<string> Licenses { get; } = new List<string>();

        /// <summary>The file this was read from (full path), or null when parsed from text.</summary>
        public string? SourcePath { get; set; }
        /// <summary>What the parser accepted with a warning (deprecated parameters, a repeated DRAFT).</summary>
        public List<ModelfileWarning> Warnings { get; } = new List<ModelfileWarning>();
        /// <summary>Every instruction as written, with line and column, for later errors.</summary>
        public List<ModelfileInstruction> Instructions { get; } = new List<ModelfileInstruction>();

        /// <summary>The folder FROM, ADAPTER and DRAFT paths are relative to (the Modelfile's folder), or null.</summary>
        public string? BaseDirectory => string.IsNullOrEmpty(SourcePath) ? null : Path.GetDirectoryName(SourcePath);

        /// <summary>Every FROM value: <see cref="From"/> then <see cref="AdditionalFrom"/>.</summary>
        public IEnumerable<string> AllFrom
            => (From is null ? Enumerable.Empty<string>() : new[] { From }).Concat(AdditionalFrom);

        /// <summary>
        /// The value of parameter <paramref name="name"/>: the last one for scalar parameters, a string[] of every
        /// value for <c>stop</c>, or null when it is not set.
        /// </summary>
        public object? GetParameter(string name)
        {
            var matches = Parameters.Where(p => string.Equals(p.Name, name, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0) return null;
            if (matches[0].Type == ModelfileParameterType.StringList)
            {
                return matches.Select(p => (string)p.Value).ToArray();
            }
            return matches[matches.Count - 1].Value;
        }

        /// <summary>Every value given for <paramref name="name"/>, in order.</summary>
        public IReadOnlyList<object> GetParameterValues(string name)
            => Parameters.Where(p => string.Equals(p.Name, name, StringComparison.Ordinal)).Select(p => p.Value).ToList();

        /// <summary>Appends a parameter (checked and typed by <see cref="ModelfileParameter"/>).</summary>
        public ModelfileParameter AddParameter(string name, object value)
        {
            var p = new ModelfileParameter(name, value);
            Parameters.Add(p);
            return p;
        }

        /// <summary>Replaces every value of <paramref name="name"/> with one value.</summary>
        public ModelfileParameter SetParameter(string name, object value)
        {
            var p = new ModelfileParameter(name, value);
            int at = Parameters.FindIndex(x => string.Equals(x.Name, name, StringComparison.Ordinal));
            Parameters.RemoveAll(x => string.Equals(x.Name, name, StringComparison.Ordinal));
            Parameters.Insert(at < 0 ? Parameters.Count : at, p);
            return p;
        }

        /// <summary>
        /// The parameters as Ollama's params layer holds them: keys sorted (ordinal), last value wins,
        /// <c>stop</c> as a string[] of all values.
        /// </summary>
        public SortedDictionary<string, object> ToParameterDictionary()
        {
            var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
            foreach (var name in Parameters.Select(p => p.Name).Distinct(StringComparer.Ordinal))
            {
                result[name] = GetParameter(name)!;
            }
            return result;
        }

        /// <summary>The last instruction of <paramref name="kind"/> (its position), or null.</summary>
        public ModelfileInstruction? FindInstruction(ModelfileInstructionKind kind)
            => Instructions.LastOrDefault(i => i.Kind == kind);

        /// <summary>
        /// True when both say the same thing: every instruction value equal, positions, source path, warnings and
        /// the raw instruction list ignored. parse(write(m)).ContentEquals(m) holds for every writable m.
        /// </summary>
        public bool ContentEquals(KapsuleModelfile? other)
        {
            if (other is null) return false;
            return From == other.From
                && AdditionalFrom.SequenceEqual(other.AdditionalFrom, StringComparer.Ordinal)
                && Template == other.Template
                && System == other.System
                && Adapter == other.Adapter
                && Draft == other.Draft
                && Renderer == other.Renderer
                && Parser == other.Parser
                && Requires == other.Requires
                && Licenses.SequenceEqual(other.Licenses, StringComparer.Ordinal)
                && Messages.Count == other.Messages.Count
                && Messages.Zip(other.Messages, (a, b) => a.Role == b.Role && a.Content == b.Content).All(x => x)
                && Parameters.Count == other.Parameters.Count
                && Parameters.Zip(other.Parameters, (a, b) => a.ContentEquals(b)).All(x => x);
        }

        /// <summary>Parses Modelfile text. <paramref name="sourcePath"/> names the file in errors and anchors FROM paths.</summary>
        public static KapsuleModelfile Parse(string content, string? sourcePath = null) => ModelfileParser.Parse(content, sourcePath);

        /// <summary>Reads and parses a Modelfile.</summary>
        public static KapsuleModelfile Load(string path) => ModelfileParser.ParseFile(path);

        /// <summary>The canonical text (see <see cref="ModelfileWriter"/>).</summary>
        public string ToModelfileText() => ModelfileWriter.Write(this);

        public override string ToString() => SourcePath ?? ("FROM " + From);
    }
}
