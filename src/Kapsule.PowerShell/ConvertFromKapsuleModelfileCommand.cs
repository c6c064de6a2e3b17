using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Management.Automation;
using Kapsule.Modelfile;

namespace Kapsule.PowerShell
{
    /// <summary>
    /// <para type="synopsis">Parses Ollama Modelfiles into KapsuleModelfile objects.</para>
    /// <para type="description">Reads Modelfiles by path (wildcards allowed, or piped from Get-ChildItem) or as text
    /// (-Content, or strings on the pipeline, which are joined and parsed once). Each error names the file, the line
    /// and the column, with ErrorId KapsuleModelfileSyntax, KapsuleModelfileInvalid or KapsuleModelfileNotFound.
    /// Deprecated parameters are reported with Write-Warning and dropped, as Ollama does.</para>
    /// </summary>
    [Cmdlet(VerbsData.ConvertFrom, "KapsuleModelfile", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(KapsuleModelfile))]
    public sealed class ConvertFromKapsuleModelfileCommand : KapsuleCmdlet
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";
        private const string ContentSet = "Content";

        private readonly List<string> _content = new List<string>();

        /// <summary>Modelfile paths; wildcards are expanded. Binds FullName from Get-ChildItem output.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>Modelfile paths taken exactly as written (no wildcards). Binds PSPath from pipeline objects.</summary>
        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = Array.Empty<string>();

        /// <summary>Modelfile text: one string, or lines (from Get-Content) that are joined with line feeds.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ContentSet, ValueFromPipeline = true)]
        [AllowEmptyString]
        [AllowEmptyCollection]
        [AllowNull]
        public string[]? Content { get; set; }

        protected override void ProcessRecord()
        {
            switch (ParameterSetName)
            {
                case ContentSet:
                    if (Content != null)
                    {
                        foreach (var line in Content) _content.Add(line ?? string.Empty);
                    }
                    break;
                case LiteralPathSet:
                    foreach (var p in LiteralPath) ParseFile(GetUnresolvedProviderPathFromPSPath(p), p);
                    break;
                default:
                    foreach (var p in Path) ParseWildcard(p);
                    break;
            }
        }

        protected override void EndProcessing()
        {
            if (ParameterSetName != ContentSet) return;
            KapsuleModelfile model;
            try
            {
                model = ModelfileParser.Parse(string.Join("\n", _content));
            }
            catch (KapsuleException e)
            {
                ThrowTerminatingError(ToErrorRecord(e));
                return;
            }
            Emit(model);
        }

        private void ParseWildcard(string path)
        {
            Collection<string> files;
            ProviderInfo provider;
            try
            {
                files = GetResolvedProviderPathFromPSPath(path, out provider);
            }
            catch (ItemNotFoundException)
            {
                files = new Collection<string>();
                provider = null!;
            }
            catch (Exception e) when (e is System.Management.Automation.DriveNotFoundException || e is ProviderNotFoundException)
            {
                WriteError(ToErrorRecord(NotFound(path, e.Message), path));
                return;
            }

            if (files.Count == 0)
            {
                // A name with [ ] that is not meant as a wildcard: take it literally when that file exists.
                string literal = GetUnresolvedProviderPathFromPSPath(path);
                if (WildcardPattern.ContainsWildcardCharacters(path) && File.Exists(literal))
                {
                    ParseFile(literal, path);
                    return;
                }
                WriteError(ToErrorRecord(NotFound(path, null), path));
                return;
            }
            if (provider != null && !string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
            {
                var e = new KapsuleException(ErrorIds.ModelfileNotFound, KapsuleErrorKind.InvalidArgument,
                    $"'{path}' is on the {provider.Name} provider; a Modelfile must be a file system path.") { Target = path };
                WriteError(ToErrorRecord(e, path));
                return;
            }
            foreach (var file in files) ParseFile(file, path);
        }

        private void ParseFile(string file, string asGiven)
        {
            KapsuleModelfile model;
            try
            {
                model = ModelfileParser.ParseFile(file);
            }
            catch (Exception e) when (e is KapsuleException || e is IOException || e is UnauthorizedAccessException)
            {
                WriteError(ToErrorRecord(e, file));
                return;
            }
            WriteVerbose($"Parsed '{file}' ({asGiven}): {model.Instructions.Count} instructions.");
            Emit(model);
        }

        private void Emit(KapsuleModelfile model)
        {
            foreach (var warning in model.Warnings)
            {
                WriteWarning(warning.ToString());
            }
            WriteObject(model);
        }

        private static KapsuleException NotFound(string path, string? detail)
            => new KapsuleException(ErrorIds.ModelfileNotFound, KapsuleErrorKind.ObjectNotFound,
                $"Cannot find the Modelfile '{path}'" + (detail is null ? "." : ": " + detail)) { Target = path };
    }
}
