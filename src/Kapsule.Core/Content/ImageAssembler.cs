using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Kapsule.Oci;

namespace Kapsule.Content
{
    /// <summary>
    /// Puts an image together in a store: layers (one raw file each), a config blob, then the manifest,
    /// and finally the name in index.json. Holds the store's write lease from the first blob to the tag,
    /// so a concurrent garbage collection cannot take the new blobs away half-way.
    /// </summary>
    public sealed class ImageAssembler : IDisposable
    {
        private readonly OciLayoutStore _store;
        private readonly IDisposable _lease;
        private readonly List<Descriptor> _layers = new List<Descriptor>();

        public ImageAssembler(OciLayoutStore store, CancellationToken cancellationToken = default)
        {
            _store = store;
            _lease = store.AcquireWriteLease(cancellationToken);
        }

        public IReadOnlyList<Descriptor> Layers => _layers;

        /// <summary>Adds a file as one raw layer, annotated with its path inside the model.</summary>
        public async Task<Descriptor> AddFileAsync(string path, string mediaType, string modelPath,
            IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        {
            var d = await _store.AddFileAsync(path, mediaType, progress, cancellationToken).ConfigureAwait(false);
            d.SetAnnotation(Annotations.ModelFilePath, modelPath);
            d.SetAnnotation(Annotations.Title, System.IO.Path.GetFileName(modelPath));
            _layers.Add(d);
            return d;
        }

        public async Task<Descriptor> AddBytesAsync(byte[] content, string mediaType, CancellationToken cancellationToken = default)
        {
            var d = await _store.WriteBlobAsync(content, mediaType, cancellationToken).ConfigureAwait(false);
            _layers.Add(d);
            return d;
        }

        /// <summary>Writes config and manifest and names the image. Returns the manifest's descriptor.</summary>
        public async Task<Descriptor> CommitAsync(string reference, byte[] config, string configMediaType,
            string manifestMediaType = MediaTypes.OciManifest, string? artifactType = null,
            IDictionary<string, string>? annotations = null, CancellationToken cancellationToken = default)
        {
            var configDescriptor = await _store.WriteBlobAsync(config, configMediaType, cancellationToken).ConfigureAwait(false);
            var manifest = new Manifest(manifestMediaType, configDescriptor) { ArtifactType = artifactType };
            manifest.Layers.AddRange(_layers);
            if (annotations != null && annotations.Count > 0)
                manifest.Annotations = new SortedDictionary<string, string>(annotations, StringComparer.Ordinal);
            var descriptor = await _store.WriteManifestAsync(manifest, cancellationToken).ConfigureAwait(false);
            _store.Tag(reference, descriptor, cancellationToken);
            return descriptor;
        }

        public void Dispose() => _lease.Dispose();
    }
}
