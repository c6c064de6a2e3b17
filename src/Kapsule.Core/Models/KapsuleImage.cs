using System;
using System.Collections.Generic;
using System.Linq;
using Kapsule.Content;
using Kapsule.Oci;

namespace Kapsule.Models
{
    /// <summary>What a layer holds, from its media type.</summary>
    public enum LayerKind
    {
        Other,
        Weights,
        WeightConfig,
        Template,
        System,
        Params,
        Messages,
        License,
        Adapter,
        Projector,
        Doc,
    }

    /// <summary>One layer of a model image, as the pipeline shows it.</summary>
    public sealed class KapsuleLayer
    {
        public KapsuleLayer(Descriptor descriptor)
        {
            Descriptor = descriptor;
        }

        public Descriptor Descriptor { get; }
        public string MediaType => Descriptor.MediaType;
        public string Digest => Descriptor.Digest.ToString();
        public long Size => Descriptor.Size;
        /// <summary>The file's path inside the model (org.cncf.model.filepath, else the title annotation).</summary>
        public string? Path => Descriptor.GetAnnotation(Annotations.ModelFilePath) ?? Descriptor.GetAnnotation(Annotations.Title);
        public LayerKind Kind => KindOf(MediaType);
        public bool Encrypted => MediaTypes.IsEncrypted(MediaType);
        /// <summary>The key-wrapping schemes the layer's key is wrapped for (jwe, pkcs7, pgp, ...).</summary>
        public string[] Recipients => Descriptor.Annotations == null
            ? Array.Empty<string>()
            : Descriptor.Annotations.Keys.Where(k => k.StartsWith(Annotations.EncKeysPrefix, StringComparison.Ordinal))
                .Select(k => k.Substring(Annotations.EncKeysPrefix.Length)).ToArray();

        public static LayerKind KindOf(string mediaType)
        {
            var mt = MediaTypes.IsEncrypted(mediaType) ? mediaType.Substring(0, mediaType.Length - MediaTypes.EncryptedSuffix.Length) : mediaType;
            if (mt.StartsWith("application/vnd.cncf.model.weight.config.", StringComparison.Ordinal)) return LayerKind.WeightConfig;
            if (mt.StartsWith("application/vnd.cncf.model.weight.", StringComparison.Ordinal)) return LayerKind.Weights;
            if (mt.StartsWith("application/vnd.cncf.model.doc.", StringComparison.Ordinal)) return LayerKind.Doc;
            return mt switch
            {
                MediaTypes.OllamaModel => LayerKind.Weights,
                MediaTypes.OllamaTemplate => LayerKind.Template,
                MediaTypes.OllamaSystem => LayerKind.System,
                MediaTypes.OllamaParams => LayerKind.Params,
                MediaTypes.OllamaMessages => LayerKind.Messages,
                MediaTypes.OllamaLicense => LayerKind.License,
                MediaTypes.OllamaAdapter => LayerKind.Adapter,
                MediaTypes.OllamaProjector => LayerKind.Projector,
                _ => LayerKind.Other,
            };
        }

        public override string ToString() => $"{Kind} {Path ?? Digest}";
    }

    /// <summary>A model image: a manifest with its config and layers, where it lives and what it is called.</summary>
    public sealed class KapsuleImage
    {
        public KapsuleImage(string? reference, Descriptor descriptor, Manifest manifest, string? store)
        {
            Reference = reference;
            Descriptor = descriptor;
            Manifest = manifest;
            Store = store;
            Layers = manifest.Layers.Select(l => new KapsuleLayer(l)).ToArray();
        }

        public string? Reference { get; }
        public Descriptor Descriptor { get; }
        public string Digest => Descriptor.Digest.ToString();
        public string MediaType => Manifest.MediaType;
        public string? ArtifactType => Manifest.ArtifactType;
        public Manifest Manifest { get; }
        public Descriptor Config => Manifest.Config;
        public KapsuleLayer[] Layers { get; }
        /// <summary>Root of the OCI layout this image was read from, if any.</summary>
        public string? Store { get; }
        public bool Encrypted => Layers.Any(l => l.Encrypted);
        /// <summary>Bytes of manifest, config and layers together.</summary>
        public long Size => Descriptor.Size + Config.Size + Layers.Sum(l => l.Size);
        public string? Created => Manifest.Annotations != null && Manifest.Annotations.TryGetValue(Annotations.Created, out var c) ? c : null;

        public static KapsuleImage Load(OciLayoutStore store, Descriptor entry)
        {
            var manifest = store.ReadManifest(entry);
            return new KapsuleImage(entry.GetAnnotation(Annotations.RefName), entry, manifest, store.Root);
        }

        public override string ToString() => Reference ?? Digest;
    }
}
