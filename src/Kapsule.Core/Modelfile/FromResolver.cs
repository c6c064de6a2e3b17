using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Kapsule.Modelfile
{
    /// <summary>What a FROM value turned out to be.</summary>
    public enum FromKind
    {
        /// <summary>An existing file of weights.</summary>
        File,
        /// <summary>An existing folder (Hugging Face, PyTorch checkpoint or GGUF folder).</summary>
        Folder,
        /// <summary>No such path: a model reference (an image in the store or in a registry), as Ollama treats it.</summary>
        Reference,
    }

    /// <summary>The format of a weights file, by its magic bytes first and its extension second.</summary>
    public enum WeightFormat
    {
        Unknown,
        /// <summary>GGUF ("GGUF" magic, or a .gguf name).</summary>
        Gguf,
        /// <summary>safetensors (8-byte little-endian header length, then a JSON object; or a .safetensors name).</summary>
        Safetensors,
        /// <summary>PyTorch torch.save (a zip, or a legacy pickle; or a .pt/.pth name).</summary>
        PyTorch,
    }

    /// <summary>The layout of a FROM folder, by Ollama's rule of which weights it picks first.</summary>
    public enum FolderLayout
    {
        /// <summary>No weights Ollama would pick.</summary>
        Unknown,
        /// <summary>Hugging Face transformers: model*.safetensors (also one folder down) or pytorch_model*.bin.</summary>
        HuggingFace,
        /// <summary>An original checkpoint: consolidated*.safetensors or consolidated*.pth.</summary>
        PyTorch,
        /// <summary>GGUF files (*.gguf, or *.bin as Ollama's last resort).</summary>
        Gguf,
    }

    /// <summary>The result of resolving a FROM (or ADAPTER/DRAFT) value.</summary>
    public sealed class FromResolution
    {
        internal FromResolution(string value, FromKind kind, string? fullPath, WeightFormat format, FolderLayout layout,
            IReadOnlyList<string> weightFiles, bool looksLikePath)
        {
            Value = value;
            Kind = kind;
            FullPath = fullPath;
            Format = format;
            Layout = layout;
            WeightFiles = weightFiles;
            LooksLikePath = looksLikePath;
        }

        /// <summary>The value as written in the Modelfile.</summary>
        public string Value { get; }
        public FromKind Kind { get; }
        /// <summary>The full path of the file or folder; for a Reference, the path that was tried (null if none could be formed).</summary>
        public string? FullPath { get; }
        /// <summary>The format of the file, or of the folder's weight files.</summary>
        public WeightFormat Format { get; }
        public FolderLayout Layout { get; }
        /// <summary>The weights Ollama would take: the file itself, or the folder's files by Ollama's first matching pattern (sorted).</summary>
        public IReadOnlyList<string> WeightFiles { get; }
        /// <summary>
        /// For a Reference: the value looks like a path (./, ../, /, ~, a drive, or a weights extension), so it is most
        /// likely a missing file rather than a model name. Callers should say so in their error.
        /// </summary>
        public bool LooksLikePath { get; }

        public override string ToString() => Kind == FromKind.Reference ? $"Reference {Value}" : $"{Kind} {FullPath} ({Format})";
    }

    /// <summary>
    /// Resolves FROM as Ollama does: absolute paths as they are, <c>~</c> and <c>~user</c> to home folders, other
    /// paths relative to the Modelfile's folder; an existing file or folder is local weights, anything else is a
    /// model reference.
    /// </summary>
    public static class FromResolver
    {
        private static readonly string[] WeightExtensions = { ".gguf", ".bin", ".safetensors", ".pt", ".pth" };

        /// <summary>Resolves the modelfile's FROM against its folder (or the current folder when it was parsed from text).</summary>
        public static FromResolution Resolve(KapsuleModelfile modelfile)
        {
            if (modelfile is null) throw new ArgumentNullException(nameof(modelfile));
            if (string.IsNullOrEmpty(modelfile.From))
            {
                throw new KapsuleException(ErrorIds.ModelfileInvalid, KapsuleErrorKind.InvalidArgument, "the Modelfile has no FROM");
            }
            return Resolve(modelfile.From!, modelfile.BaseDirectory);
        }

        /// <summary>Resolves a FROM value. <paramref name="baseDirectory"/> defaults to the current folder.</summary>
        /// <exception cref="KapsuleException">KapsuleModelfileInvalid for <c>~user</c> when that user's home cannot be found.</exception>
        public static FromResolution Resolve(string value, string? baseDirectory)
        {
            if (value is null) throw new ArgumentNullException(nameof(value));
            bool looksLikePath = LooksLikePath(value);
            string? full = TryExpandPath(value, baseDirectory ?? Environment.CurrentDirectory);
            if (full != null)
            {
                if (File.Exists(full))
                {
                    return new FromResolution(value, FromKind.File, full, DetectFormat(full), FolderLayout.Unknown, new[] { full }, true);
                }
                if (Directory.Exists(full))
                {
                    var (layout, format, files) = InspectFolder(full);
                    return new FromResolution(value, FromKind.Folder, full, format, layout, files, true);
                }
            }
            return new FromResolution(value, FromKind.Reference, full, WeightFormat.Unknown, FolderLayout.Unknown,
                Array.Empty<string>(), looksLikePath);
        }

        /// <summary>
        /// Expands <paramref name="path"/> as Ollama's expandPath: absolute stays, <c>~</c>/<c>~/x</c> is the current
        /// user's home, <c>~user/x</c> that user's home, anything else is joined to <paramref name="baseDirectory"/>.
        /// </summary>
        public static string ExpandPath(string path, string baseDirectory)
        {
            return TryExpandPath(path, baseDirectory)
                ?? throw new KapsuleException(ErrorIds.ModelfileInvalid, KapsuleErrorKind.InvalidArgument,
                    $"'{path}' is not a valid path on this system");
        }

        private static string? TryExpandPath(string path, string baseDirectory)
        {
            try
            {
                if (path.StartsWith("/", StringComparison.Ordinal) || path.StartsWith("\\", StringComparison.Ordinal) || Path.IsPathRooted(path))
                {
                    return Path.GetFullPath(path);
                }
                if (path.StartsWith("~", StringComparison.Ordinal))
                {
                    int sep = path.IndexOfAny(SeparatorChars());
                    string user = sep < 0 ? path.Substring(1) : path.Substring(1, sep - 1);
                    string rest = sep < 0 ? string.Empty : path.Substring(sep + 1);
                    string home = user.Length == 0 ? CurrentHome() : OtherHome(user)
                        ?? throw new KapsuleException(ErrorIds.ModelfileInvalid, KapsuleErrorKind.InvalidArgument,
                            $"cannot find the home folder of user '{user}' for '{path}'");
                    return Path.GetFullPath(rest.Length == 0 ? home : Path.Combine(home, rest));
                }
                return Path.GetFullPath(Path.Combine(baseDirectory, path));
            }
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is PathTooLongException)
            {
                return null;
            }
        }

        private static char[] SeparatorChars()
            => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? new[] { '/', '\\' } : new[] { '/' };

        private static string CurrentHome()
        {
            string? home = Environment.GetEnvironmentVariable("HOME");
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows) || string.IsNullOrEmpty(home))
            {
                home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            }
            return home!;
        }

        private static string? OtherHome(string user)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                string? profiles = Path.GetDirectoryName(CurrentHome());
                string candidate = profiles is null ? string.Empty : Path.Combine(profiles, user);
                return profiles != null && Directory.Exists(candidate) ? candidate : null;
            }
            const string passwd = "/etc/passwd";
            if (!File.Exists(passwd)) return null;
            foreach (var line in File.ReadAllLines(passwd))
            {
                var fields = line.Split(':');
                if (fields.Length >= 6 && fields[0] == user) return fields[5];
            }
            return null;
        }

        /// <summary>True when <paramref name="value"/> reads as a path rather than a model name.</summary>
        public static bool LooksLikePath(string value)
        {
            if (value.StartsWith("./", StringComparison.Ordinal) || value.StartsWith("../", StringComparison.Ordinal)
                || value.StartsWith(".\\", StringComparison.Ordinal) || value.StartsWith("..\\", StringComparison.Ordinal)
                || value.StartsWith("/", StringComparison.Ordinal) || value.StartsWith("\\", StringComparison.Ordinal)
                || value.StartsWith("~", StringComparison.Ordinal) || value == "." || value == "..")
            {
                return true;
            }
            if (value.Length >= 3 && char.IsLetter(value[0]) && value[1] == ':' && (value[2] == '\\' || value[2] == '/'))
            {
                return true;
            }
            return WeightExtensions.Any(e => value.EndsWith(e, StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>The format of a weights file: magic bytes first, then the extension.</summary>
        public static WeightFormat DetectFormat(string filePath)
        {
            var head = new byte[9];
            int read = 0;
            long length;
            using (var stream = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                length = stream.Length;
                int n;
                while (read < head.Length && (n = stream.Read(head, read, head.Length - read)) > 0) read += n;
            }
            if (read >= 4 && head[0] == (byte)'G' && head[1] == (byte)'G' && head[2] == (byte)'U' && head[3] == (byte)'F')
            {
                return WeightFormat.Gguf;
            }
            if (read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4)
            {
                return WeightFormat.PyTorch;
            }
            if (read >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5)
            {
                return WeightFormat.PyTorch;
            }
            if (read == 9 && head[8] == (byte)'{')
            {
                ulong headerLength = BitConverter.ToUInt64(head, 0);
                if (!BitConverter.IsLittleEndian)
                {
                    headerLength = 0;
                    for (int i = 7; i >= 0; i--) headerLength = (headerLength << 8) | head[i];
                }
                if (headerLength > 1 && headerLength <= (ulong)(length - 8))
                {
                    return WeightFormat.Safetensors;
                }
            }
            switch (Path.GetExtension(filePath).ToLowerInvariant())
            {
                case ".gguf": return WeightFormat.Gguf;
                case ".safetensors": return WeightFormat.Safetensors;
                case ".pt":
                case ".pth": return WeightFormat.PyTorch;
                default: return WeightFormat.Unknown;
            }
        }

        private static (FolderLayout, WeightFormat, IReadOnlyList<string>) InspectFolder(string folder)
        {
            var rules = new (string Pattern, bool Nested, FolderLayout Layout, WeightFormat Format)[]
            {
                ("model*.safetensors", true, FolderLayout.HuggingFace, WeightFormat.Safetensors),
                ("consolidated*.safetensors", false, FolderLayout.PyTorch, WeightFormat.Safetensors),
                ("pytorch_model*.bin", false, FolderLayout.HuggingFace, WeightFormat.PyTorch),
                ("consolidated*.pth", false, FolderLayout.PyTorch, WeightFormat.PyTorch),
                ("*.gguf", false, FolderLayout.Gguf, WeightFormat.Gguf),
                ("*.bin", false, FolderLayout.Gguf, WeightFormat.Unknown),
            };
            foreach (var rule in rules)
            {
                var files = Glob(folder, rule.Pattern);
                if (files.Count == 0) continue;
                if (rule.Nested)
                {
                    foreach (var sub in Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal))
                    {
                        files.AddRange(Glob(sub, rule.Pattern));
                    }
                }
                var format = rule.Format == WeightFormat.Unknown ? DetectFormat(files[0]) : rule.Format;
                return (rule.Layout, format, files);
            }
            return (FolderLayout.Unknown, WeightFormat.Unknown, Array.Empty<string>());
        }

        private static List<string> Glob(string folder, string pattern)
        {
            var regex = new Regex("^" + Regex.Escape(pattern).Replace("\\*", ".*") + "$", RegexOptions.CultureInvariant);
            return Directory.GetFiles(folder)
                .Where(f => regex.IsMatch(Path.GetFileName(f)))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToList();
        }
    }
}
