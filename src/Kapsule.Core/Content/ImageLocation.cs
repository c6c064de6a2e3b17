using System;
using System.IO;
using Kapsule.Oci;

namespace Kapsule.Content
{
    /// <summary>
    /// Where an image is: in a registry (<c>host/repo:tag</c>), or in an OCI image layout folder named the
    /// way skopeo names it (<c>oci:&lt;folder&gt;[:&lt;tag&gt;]</c>, the tag being the image's
    /// org.opencontainers.image.ref.name in that folder's index.json).
    /// </summary>
    public sealed class ImageLocation
    {
        private ImageLocation(Reference? registry, string? folder, string? tag)
        {
            Registry = registry;
            Folder = folder;
            Tag = tag;
        }

        public Reference? Registry { get; }
        public string? Folder { get; }
        /// <summary>For a folder: the name in its index.json, or null when none was given.</summary>
        public string? Tag { get; }
        public bool IsFolder => Folder != null;

        public const string OciPrefix = "oci:";

        public static bool IsOciFolder(string text) => text.StartsWith(OciPrefix, StringComparison.OrdinalIgnoreCase);

        /// <summary>Parses a location; <paramref name="resolvePath"/> turns a user's folder path into a full path.</summary>
        public static ImageLocation Parse(string text, Func<string, string>? resolvePath = null)
        {
            if (!IsOciFolder(text)) return new ImageLocation(Reference.Parse(text), null, null);
            var rest = text.Substring(OciPrefix.Length);
            string folder = rest;
            string? tag = null;
            int colon = rest.LastIndexOf(':');
            // A colon ends the folder unless it is a Windows drive ("C:\models") or belongs to the path.
            if (colon >= 0 && !(colon == 1 && rest.Length > 2 && (rest[2] == '\\' || rest[2] == '/')))
            {
                var after = rest.Substring(colon + 1);
                if (after.IndexOf('/') < 0 && after.IndexOf('\\') < 0)
                {
                    folder = rest.Substring(0, colon);
                    tag = after.Length > 0 ? after : null;
                }
            }
            if (folder.Length == 0)
                throw new KapsuleException(ErrorIds.InvalidReference, KapsuleErrorKind.InvalidArgument,
                    $"'{text}' names no folder. Write oci:<folder>[:<tag>], e.g. oci:./model-layout:v1.") { Target = text };
            folder = resolvePath != null ? resolvePath(folder) : Path.GetFullPath(folder);
            return new ImageLocation(null, folder, tag);
        }

        public override string ToString() => IsFolder ? $"{OciPrefix}{Folder}{(Tag != null ? ":" + Tag : "")}" : Registry!.ToString();
    }
}
