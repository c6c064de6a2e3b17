BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    Import-Module (Join-Path $PSScriptRoot 'TestHarness.psm1') -Force

    function New-RandomFile([string] $Path, [int] $Size, [int] $Seed) {
        $bytes = [byte[]]::new($Size); [Random]::new($Seed).NextBytes($bytes); [IO.File]::WriteAllBytes($Path, $bytes); $Path
    }
    function New-PushableImage([string] $Store, [string] $Reference, [int] $Size = 3MB, [int] $Seed = 1) {
        $weights = New-RandomFile (Join-Path $Store "weights-$Seed.bin") $Size $Seed
        New-TestModelImage -StorePath $Store -Reference $Reference -Files $weights, (Join-Path $Fixtures 'testmodel/test.gguf')
    }
    function Get-StoreBlobHashes([string] $Store) {
        Get-ChildItem (Join-Path $Store 'blobs/sha256') -File | ForEach-Object Name | Sort-Object
    }
    function Assert-SameImage([string] $StoreA, [string] $RefA, [string] $StoreB, [string] $RefB) {
        $a = Get-KapsuleImage -StorePath $StoreA $RefA
        $b = Get-KapsuleImage -StorePath $StoreB $RefB
        $b.Digest | Should -Be $a.Digest
        foreach ($l in $a.Layers) {
            $pa = Join-Path $StoreA ('blobs/sha256/' + $l.Digest.Substring(7))
            $pb = Join-Path $StoreB ('blobs/sha256/' + $l.Digest.Substring(7))
            (Get-FileHash $pb).Hash | Should -Be (Get-FileHash $pa).Hash
        }
        (Test-KapsuleImage -StorePath $StoreB $RefB).Passed | Should -BeTrue
    }
    function Get-BlobWrites($Proxy) {
        @((Get-FaultProxyStats -Proxy $Proxy).log | Where-Object { $_.method -in 'PUT', 'PATCH' -and $_.target -match '/blobs/uploads/' })
    }
}

Describe 'Push and pull through a registry' -Tag 'Registry' {
    BeforeAll {
        $reg = Start-TestRegistry
        $src = New-TestFolder 'src'
        $ref = "$($reg.HostPort)/team/model:v1"
        $null = New-PushableImage $src $ref 3MB 1
    }
    AfterAll {
        Stop-TestRegistry $reg
        Remove-Item $src -Recurse -Force -ErrorAction Ignore
    }

    It 'pushes and pulls back byte-identical blobs' {
        $pushed = Publish-KapsuleImage -StorePath $src $ref -PassThru
        $pushed.Reference | Should -Be $ref
        $dst = New-TestFolder 'dst'
        $img = Get-KapsuleModel -StorePath $dst $ref
        $img.Reference | Should -Be $ref
        $img | Should -BeOfType ([Kapsule.Models.KapsuleImage])
        Assert-SameImage $src $ref $dst $ref
        # the registry stored exactly these blobs
        foreach ($l in $img.Layers) {
            Test-Path (Join-Path $reg.RootDirectory ("docker/registry/v2/blobs/sha256/{0}/{1}/data" -f $l.Digest.Substring(7, 2), $l.Digest.Substring(7))) | Should -BeTrue
        }
    }

    It 'uploads no blob bytes the second time' {
        $proxy = Start-FaultProxy -Target $reg
        try {
            $viaProxy = "$($proxy.HostPort)/team/again:v1"
            Publish-KapsuleImage -StorePath $src $ref -Destination $viaProxy
            (Get-BlobWrites $proxy).Count | Should -BeGreaterThan 0
            $before = (Get-BlobWrites $proxy).Count
            Publish-KapsuleImage -StorePath $src $ref -Destination $viaProxy -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } |
                ForEach-Object Message | Should -Contain ("Published {0} ({1}): 0 blob(s) sent (0 B), 3 already there, 0 mounted." -f $viaProxy, (Get-KapsuleImage -StorePath $src $ref).Digest)
            (Get-BlobWrites $proxy).Count | Should -Be $before
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'mounts blobs from the image''s own repository instead of uploading them' {
        Publish-KapsuleImage -StorePath $src $ref
        $digest = (Get-KapsuleImage -StorePath $src $ref).Digest
        Publish-KapsuleImage -StorePath $src $ref -Destination "$($reg.HostPort)/team/mounted:v1" -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message |
            Should -Contain ('Published {0}/team/mounted:v1 ({1}): 0 blob(s) sent (0 B), 0 already there, 3 mounted.' -f $reg.HostPort, $digest)
        (Get-KapsuleModel -StorePath (New-TestFolder 'dst') "$($reg.HostPort)/team/mounted:v1").Digest | Should -Be $digest
    }

    It 'lists every tag of a repository' {
        foreach ($t in 'a', 'b', 'c', 'd', 'e') { Publish-KapsuleImage -StorePath $src $ref -Destination "$($reg.HostPort)/team/tags:$t" }
        $proxy = Start-FaultProxy -Target $reg
        $client = [Kapsule.Registry.RegistryClient]::new($null)
        try {
            $tags = $client.ListTagsAsync($proxy.HostPort, 'team/tags', 2, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
            # docker-registry 2.8 answers tags/list in one page whatever n is; paging is covered by xunit.
            @($tags | Sort-Object) | Should -Be @('a', 'b', 'c', 'd', 'e')
            # HEAD of a manifest names it without its body; a tag that is not there is null, not an error
            $ct = [Threading.CancellationToken]::None
            $head = $client.HeadManifestAsync([Kapsule.Oci.Reference]::Parse("$($proxy.HostPort)/team/tags:c", $true), $ct).GetAwaiter().GetResult()
            "$($head.Digest)" | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
            $client.HeadManifestAsync([Kapsule.Oci.Reference]::Parse("$($proxy.HostPort)/team/tags:zz", $true), $ct).GetAwaiter().GetResult() | Should -BeNullOrEmpty
        }
        finally { $client.Dispose(); Stop-FaultProxy $proxy }
    }

    It 'falls back to smaller chunks behind a proxy with a body limit' {
        $proxy = Start-FaultProxy -Target $reg -MaxBodyBytes 1MB
        try {
            $target = "$($proxy.HostPort)/team/limited:v1"
            Publish-KapsuleImage -StorePath $src $ref -Destination $target
            $log = (Get-FaultProxyStats -Proxy $proxy).log
            @($log | Where-Object { $_.method -eq 'PUT' -and $_.status -eq 413 }).Count | Should -Be 1
            @($log | Where-Object { $_.method -eq 'PATCH' -and $_.status -eq 413 }).Count | Should -BeGreaterThan 0
            @($log | Where-Object { $_.method -eq 'PATCH' -and $_.status -eq 202 }).Count | Should -BeGreaterOrEqual 3
            $dst = New-TestFolder 'dst'
            (Get-KapsuleModel -StorePath $dst $target).Digest | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
            (Test-KapsuleImage -StorePath $dst $target).Passed | Should -BeTrue
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'uploads in chunks when asked, with the same result' {
        $chunked = "$($reg.HostPort)/team/chunked:v1"
        Publish-KapsuleImage -StorePath $src $ref -Destination $chunked -UploadMode Chunked -ChunkSize 1MB
        $dst = New-TestFolder 'dst'
        $img = Get-KapsuleModel -StorePath $dst $chunked
        $img.Digest | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
        (Test-KapsuleImage -StorePath $dst $chunked).Passed | Should -BeTrue
    }

    It 'resumes a pull cut half-way with a Range request' {
        Publish-KapsuleImage -StorePath $src $ref
        $big = ((Get-KapsuleImage -StorePath $src $ref).Layers | Sort-Object Size -Descending)[0].Digest
        $proxy = Start-FaultProxy -Target $reg -CutAfterBytes 1MB -CutCount 1 -Match "GET .*/blobs/$big"
        try {
            $dst = New-TestFolder 'dst'
            $img = Get-KapsuleModel -StorePath $dst "$($proxy.HostPort)/team/model:v1"
            (Test-KapsuleImage -StorePath $dst $img.Reference).Passed | Should -BeTrue
            $stats = Get-FaultProxyStats -Proxy $proxy
            $stats.cut | Should -Be 1
            $gets = @($stats.log | Where-Object { $_.method -eq 'GET' -and $_.target -like "*/blobs/$big" })
            $gets.Count | Should -Be 2
            $gets[0].fault | Should -Be 'cut'
            $gets[1].range | Should -Be 'bytes=1048576-'
            $gets[1].status | Should -Be 206
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'resumes from a partial file left by an earlier, killed pull' {
        $dst = New-TestFolder 'dst'
        $img = Get-KapsuleImage -StorePath $src $ref
        $big = ($img.Layers | Sort-Object Size -Descending)[0]
        # what a killed process leaves: the first 1 MiB of the blob in the store's partial folder
        $partialDir = Join-Path $dst '.kapsule/partial'
        New-Item -ItemType Directory $partialDir -Force | Out-Null
        $srcBlob = [IO.File]::ReadAllBytes((Join-Path $src ('blobs/sha256/' + $big.Digest.Substring(7))))
        [IO.File]::WriteAllBytes((Join-Path $partialDir ('sha256-' + $big.Digest.Substring(7))), $srcBlob[0..(1MB - 1)])
        $proxy = Start-FaultProxy -Target $reg
        try {
            $pulled = Get-KapsuleModel -StorePath $dst "$($proxy.HostPort)/team/model:v1"
            (Test-KapsuleImage -StorePath $dst $pulled.Reference).Passed | Should -BeTrue
            $get = @((Get-FaultProxyStats -Proxy $proxy).log | Where-Object { $_.method -eq 'GET' -and $_.target -like "*/blobs/$($big.Digest)" })
            $get.Count | Should -Be 1
            $get[0].range | Should -Be 'bytes=1048576-'
            @(Get-ChildItem $partialDir).Count | Should -Be 0
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'stops promptly on Ctrl+C mid-pull, keeps what it had, and resumes from there' {
        Publish-KapsuleImage -StorePath $src $ref
        $big = ((Get-KapsuleImage -StorePath $src $ref).Layers | Sort-Object Size -Descending)[0]
        $dst = New-TestFolder 'dst'
        $partial = Join-Path $dst ('.kapsule/partial/sha256-' + $big.Digest.Substring(7))
        $slow = Start-FaultProxy -Target $reg -RateBytesPerSecond 512KB
        try {
            $ps = [powershell]::Create()
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $KapsuleModulePath).AddStatement().
                AddCommand('Get-KapsuleModel').AddParameter('StorePath', $dst).AddParameter('Reference', "$($slow.HostPort)/team/model:v1")
            $null = $ps.BeginInvoke()
            # wait, bounded, until the download has bytes on disk, then press Ctrl+C
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not ((Test-Path $partial) -and (Get-Item $partial).Length -gt 0)) {
                if ([DateTime]::UtcNow -gt $deadline) { throw 'the download never started' }
                Start-Sleep -Milliseconds 20
            }
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Dispose()
        }
        finally { Stop-FaultProxy $slow }

        @(Get-KapsuleImage -StorePath $dst).Count | Should -Be 0
        Test-Path (Join-Path $dst "blobs/sha256/$($big.Digest.Substring(7))") | Should -BeFalse
        $kept = (Get-Item $partial).Length
        $kept | Should -BeGreaterThan 0
        $kept | Should -BeLessThan $big.Size

        $proxy = Start-FaultProxy -Target $reg
        try {
            $img = Get-KapsuleModel -StorePath $dst "$($proxy.HostPort)/team/model:v1"
            (Test-KapsuleImage -StorePath $dst $img.Reference).Passed | Should -BeTrue
            $get = @((Get-FaultProxyStats -Proxy $proxy).log | Where-Object { $_.method -eq 'GET' -and $_.target -like "*/blobs/$($big.Digest)" })
            $get.Count | Should -Be 1
            $get[0].range | Should -Be "bytes=$kept-"
            Test-Path $partial | Should -BeFalse
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'completes push and pull through dropped connections and 503s' {
        $proxy = Start-FaultProxy -Target $reg -FailEvery 4 -DropEvery 7 -Seed 11
        try {
            $target = "$($proxy.HostPort)/team/flaky:v1"
            Publish-KapsuleImage -StorePath $src $ref -Destination $target
            $dst = New-TestFolder 'dst'
            $img = Get-KapsuleModel -StorePath $dst $target
            (Test-KapsuleImage -StorePath $dst $img.Reference).Passed | Should -BeTrue
            $img.Digest | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
            $stats = Get-FaultProxyStats -Proxy $proxy
            $stats.failed | Should -BeGreaterThan 0
            $stats.dropped | Should -BeGreaterThan 0
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'repairs a damaged blob by pulling again after Test-KapsuleImage found it' {
        Publish-KapsuleImage -StorePath $src $ref
        $dst = New-TestFolder 'dst'
        $img = Get-KapsuleModel -StorePath $dst $ref
        $blob = Join-Path $dst ('blobs/sha256/' + ($img.Layers | Sort-Object Size -Descending)[0].Digest.Substring(7))
        $bytes = [IO.File]::ReadAllBytes($blob); $bytes[1000] = $bytes[1000] -bxor 1; [IO.File]::WriteAllBytes($blob, $bytes)
        Test-KapsuleImage -StorePath $dst $ref -Quiet | Should -BeFalse
        Get-KapsuleModel -StorePath $dst $ref | Out-Null
        (Test-KapsuleImage -StorePath $dst $ref).Passed | Should -BeTrue
    }

    It 'refuses an image index before downloading anything, naming its manifests' {
        Publish-KapsuleImage -StorePath $src $ref
        $m = Invoke-WebRequest "$($reg.Url)/v2/team/model/manifests/v1" -Headers @{ Accept = 'application/vnd.oci.image.manifest.v1+json' }
        $digest = $m.Headers['Docker-Content-Digest'] | Select-Object -First 1
        $index = @{ schemaVersion = 2; mediaType = 'application/vnd.oci.image.index.v1+json'; manifests = @(
                @{ mediaType = 'application/vnd.oci.image.manifest.v1+json'; digest = $digest; size = $m.RawContentLength; platform = @{ os = 'linux'; architecture = 'amd64' } }) } |
            ConvertTo-Json -Depth 5 -Compress
        (Invoke-WebRequest -Method Put "$($reg.Url)/v2/team/model/manifests/multi" -ContentType 'application/vnd.oci.image.index.v1+json' -Body $index).StatusCode | Should -Be 201
        $dst = New-TestFolder 'dst'
        $err = $null
        Get-KapsuleModel -StorePath $dst "$($reg.HostPort)/team/model:multi" -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'KapsuleIndexNotSupported,*'
        "$($err[0])" | Should -Match ([regex]::Escape("$digest (linux/amd64)"))
        @(Get-ChildItem (Join-Path $dst 'blobs/sha256')).Count | Should -Be 0
        # the manifest it names can be pulled by digest
        (Get-KapsuleModel -StorePath $dst "$($reg.HostPort)/team/model@$digest").Digest | Should -Be $digest
    }

    It 'resumes a chunked upload from the registry''s offset after a refused chunk' {
        # A 503 the registry never saw: the session is intact, the client asks how far it got and goes on.
        $proxy = Start-FaultProxy -Target $reg -FailEvery 2 -Match '^PATCH '
        try {
            $target = "$($proxy.HostPort)/team/chunk-503:v1"
            Publish-KapsuleImage -StorePath $src $ref -Destination $target -UploadMode Chunked -ChunkSize 1MB
            $log = (Get-FaultProxyStats -Proxy $proxy).log
            @($log | Where-Object { $_.method -eq 'PATCH' -and $_.status -eq 503 }).Count | Should -BeGreaterThan 0
            @($log | Where-Object { $_.method -eq 'GET' -and $_.target -match '/blobs/uploads/' -and $_.status -eq 204 }).Count | Should -BeGreaterThan 0
            @($log | Where-Object { $_.method -eq 'POST' }).Count | Should -Be 3   # one session per blob: none restarted
        }
        finally { Stop-FaultProxy $proxy }
        (Get-KapsuleModel -StorePath (New-TestFolder 'dst') "$($reg.HostPort)/team/chunk-503:v1").Digest | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
    }

    It 'starts a new upload session when the registry dropped the old one' {
        # A chunk whose answer is lost after the registry took it: distribution then refuses the old session's
        # state (BLOB_UPLOAD_INVALID), so the client opens a new session for that blob.
        $proxy = Start-FaultProxy -Target $reg -DropEvery 4 -Match '^PATCH '
        try {
            $target = "$($proxy.HostPort)/team/chunk-drop:v1"
            Publish-KapsuleImage -StorePath $src $ref -Destination $target -UploadMode Chunked -ChunkSize 1MB
            $log = (Get-FaultProxyStats -Proxy $proxy).log
            @($log | Where-Object { $_.fault -eq 'drop' }).Count | Should -Be 1
            @($log | Where-Object { $_.method -eq 'POST' }).Count | Should -Be 4   # three blobs, one of them twice
        }
        finally { Stop-FaultProxy $proxy }
        $dst = New-TestFolder 'dst'
        (Get-KapsuleModel -StorePath $dst "$($reg.HostPort)/team/chunk-drop:v1").Digest | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
        (Test-KapsuleImage -StorePath $dst "$($reg.HostPort)/team/chunk-drop:v1").Passed | Should -BeTrue
    }

    It 'reports a missing image with KapsuleManifestNotFound and leaves the store unchanged' {
        $dst = New-TestFolder 'dst'
        { Get-KapsuleModel -StorePath $dst "$($reg.HostPort)/team/none:v9" -ErrorAction Stop } |
            Should -Throw -ErrorId 'KapsuleManifestNotFound,*'
        @(Get-KapsuleImage -StorePath $dst).Count | Should -Be 0
    }

    It 'refuses blobs whose size differs from a (hostile) manifest, keeping no partial' {
        Publish-KapsuleImage -StorePath $src $ref
        $accept = @{ Accept = 'application/vnd.oci.image.manifest.v1+json' }
        $m = Invoke-RestMethod "$($reg.Url)/v2/team/model/manifests/v1" -Headers $accept
        $big = ($m.layers | Sort-Object size -Descending)[0]
        $real = $big.size
        foreach ($case in @(@{ Tag = 'short'; Size = $real - 10 }, @{ Tag = 'long'; Size = $real + 10 })) {
            $big.size = $case.Size
            $r = Invoke-WebRequest -Method Put "$($reg.Url)/v2/team/model/manifests/$($case.Tag)" -SkipHttpErrorCheck `
                -ContentType 'application/vnd.oci.image.manifest.v1+json' -Body ($m | ConvertTo-Json -Depth 10 -Compress)
            $r.StatusCode | Should -Be 201
        }
        $dst = New-TestFolder 'dst'
        foreach ($tag in 'short', 'long') {
            { Get-KapsuleModel -StorePath $dst "$($reg.HostPort)/team/model:$tag" -ErrorAction Stop } |
                Should -Throw -ErrorId 'KapsuleSizeMismatch,*'
        }
        @(Get-KapsuleImage -StorePath $dst).Count | Should -Be 0
        Test-Path (Join-Path $dst ('blobs/sha256/' + $big.digest.Substring(7))) | Should -BeFalse
        @(Get-ChildItem (Join-Path $dst '.kapsule/partial')).Count | Should -Be 0
    }

    It 'writes a standalone OCI layout with -Path that skopeo reads' {
        $layout = Join-Path (New-TestFolder 'layout') 'model'
        $img = Get-KapsuleModel -StorePath $src $ref -Path $layout
        $img.Reference | Should -Be 'v1'
        $inspect = skopeo inspect --raw "oci:${layout}:v1" | ConvertFrom-Json
        $LASTEXITCODE | Should -Be 0
        $inspect.layers.digest | Should -Be $img.Layers.Digest
        # and the folder goes back to a registry under a new name, read by Kapsule's oci: source
        Publish-KapsuleImage "oci:${layout}:v1" -Destination "$($reg.HostPort)/team/from-folder:v1"
        (Get-KapsuleModel -StorePath (New-TestFolder 'dst') "$($reg.HostPort)/team/from-folder:v1").Digest | Should -Be $img.Digest
    }

    It 'pushes an image skopeo can copy, byte for byte' {
        Publish-KapsuleImage -StorePath $src $ref
        $out = Join-Path (New-TestFolder 'skopeo') 'copy'
        skopeo copy --src-tls-verify=false "docker://$ref" "oci:${out}:v1" 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $index = Get-Content (Join-Path $out 'index.json') -Raw | ConvertFrom-Json
        $index.manifests[0].digest | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
        foreach ($l in (Get-KapsuleImage -StorePath $src $ref).Layers) {
            (Get-FileHash (Join-Path $out ('blobs/sha256/' + $l.Digest.Substring(7)))).Hash.ToLowerInvariant() | Should -Be $l.Digest.Substring(7)
        }
    }

    It 'pulls an image that skopeo pushed' {
        $layout = Join-Path (New-TestFolder 'skopeo-src') 'layout'
        $folderStore = [Kapsule.Content.OciLayoutStore]::new($layout)
        $weights = New-RandomFile (Join-Path (Split-Path $layout) 'w.bin') 200KB 77
        $null = New-TestModelImage -StorePath $layout -Reference 'skopeo-tag' -Files $weights
        $target = "$($reg.HostPort)/skopeo/pushed:v1"
        skopeo copy --dest-tls-verify=false "oci:${layout}:skopeo-tag" "docker://$target" 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $dst = New-TestFolder 'dst'
        $img = Get-KapsuleModel -StorePath $dst $target
        (Test-KapsuleImage -StorePath $dst $target).Passed | Should -BeTrue
        $img.Layers[0].Digest | Should -Be ('sha256:' + (Get-FileHash $weights).Hash.ToLowerInvariant())
    }
}

Describe 'Basic auth (htpasswd)' -Tag 'Registry' {
    BeforeAll {
        $reg = Start-TestRegistry -BasicAuth
        $cred = New-TestCredential $reg.UserName $reg.Password
        $bad = New-TestCredential $reg.UserName 'wrong-password'
        $src = New-TestFolder 'src'
        $ref = "$($reg.HostPort)/secure/model:v1"
        $null = New-PushableImage $src $ref 1MB 5
    }
    AfterAll {
        Stop-TestRegistry $reg
        Remove-Item $src -Recurse -Force -ErrorAction Ignore
    }

    It 'pushes and pulls with -Credential' {
        Publish-KapsuleImage -StorePath $src $ref -Credential $cred
        $dst = New-TestFolder 'dst'
        Get-KapsuleModel -StorePath $dst $ref -Credential $cred | Out-Null
        Assert-SameImage $src $ref $dst $ref
    }

    It 'uses the login in a docker config file when no -Credential is given' {
        $configDir = New-TestFolder 'docker-config'
        $auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$($reg.UserName):$($reg.Password)"))
        @{ auths = @{ $reg.HostPort = @{ auth = $auth } } } | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $configDir 'config.json')
        $saved = $env:DOCKER_CONFIG, $env:REGISTRY_AUTH_FILE
        $env:DOCKER_CONFIG = $configDir
        $env:REGISTRY_AUTH_FILE = Join-Path $configDir 'no-such-auth.json'
        try {
            Publish-KapsuleImage -StorePath $src $ref -Destination "$($reg.HostPort)/secure/from-config:v1"
            $dst = New-TestFolder 'dst'
            (Get-KapsuleModel -StorePath $dst "$($reg.HostPort)/secure/from-config:v1").Digest | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
        }
        finally { $env:DOCKER_CONFIG, $env:REGISTRY_AUTH_FILE = $saved }
    }

    It 'refuses a wrong password with KapsuleAuthenticationFailed and stores nothing' {
        $dst = New-TestFolder 'dst'
        { Get-KapsuleModel -StorePath $dst $ref -Credential $bad -ErrorAction Stop } |
            Should -Throw -ErrorId 'KapsuleAuthenticationFailed,*'
        @(Get-KapsuleImage -StorePath $dst).Count | Should -Be 0
        @(Get-ChildItem (Join-Path $dst 'blobs/sha256')).Count | Should -Be 0
        @(Get-ChildItem (Join-Path $dst '.kapsule/partial')).Count | Should -Be 0
    }

    It 'refuses a push without credentials with KapsuleAuthenticationFailed' {
        $err = $null
        Publish-KapsuleImage -StorePath $src $ref -Destination "$($reg.HostPort)/secure/anon:v1" -ErrorAction SilentlyContinue -ErrorVariable err
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'KapsuleAuthenticationFailed,*'
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'never shows the password in verbose output' {
        $verbose = Get-KapsuleModel -StorePath (New-TestFolder 'dst') $ref -Credential $cred -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String
        $verbose | Should -Match 'Basic authentication'
        $verbose | Should -Not -Match ([regex]::Escape($reg.Password))
    }
}

Describe 'TLS with a generated CA' -Tag 'Registry' {
    BeforeAll {
        $reg = Start-TestRegistry -Tls
        $src = New-TestFolder 'src'
        $ref = "$($reg.HostPort)/tls/model:v1"
        $null = New-PushableImage $src $ref 512KB 9
    }
    AfterAll {
        Stop-TestRegistry $reg
        Remove-Item $src -Recurse -Force -ErrorAction Ignore
    }

    It 'refuses an untrusted certificate with KapsuleTlsUntrusted' {
        { Publish-KapsuleImage -StorePath $src $ref -ErrorAction Stop } | Should -Throw -ErrorId 'KapsuleTlsUntrusted,*'
    }

    It 'trusts the CA given with -CaFile' {
        Publish-KapsuleImage -StorePath $src $ref -CaFile $reg.CaFile
        $dst = New-TestFolder 'dst'
        Get-KapsuleModel -StorePath $dst $ref -CaFile $reg.CaFile | Out-Null
        Assert-SameImage $src $ref $dst $ref
    }

    It 'accepts any certificate with -SkipCertificateCheck' {
        (Get-KapsuleModel -StorePath (New-TestFolder 'dst') $ref -SkipCertificateCheck).Digest | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
    }
}

Describe 'Bearer token auth' -Tag 'Registry' {
    BeforeAll {
        $reg = Start-TestRegistry -TokenAuth
        $cred = New-TestCredential $reg.UserName $reg.Password
        $bad = New-TestCredential $reg.UserName 'nope'
        $src = New-TestFolder 'src'
        $ref = "$($reg.HostPort)/token/model:v1"
        $null = New-PushableImage $src $ref 1MB 13
    }
    AfterAll {
        Stop-TestRegistry $reg
        Remove-Item $src -Recurse -Force -ErrorAction Ignore
    }

    It 'pushes and pulls with tokens from the issuer, reusing them' {
        Publish-KapsuleImage -StorePath $src $ref -Credential $cred
        $dst = New-TestFolder 'dst'
        Get-KapsuleModel -StorePath $dst $ref -Credential $cred | Out-Null
        Assert-SameImage $src $ref $dst $ref
        $stats = Get-TokenIssuerStats -Registry $reg
        $stats.granted | Should -BeGreaterThan 0
        # one token per scope and command, not one per request
        $stats.granted | Should -BeLessOrEqual 6
    }

    It 'refuses a wrong password with KapsuleAuthenticationFailed' {
        $dst = New-TestFolder 'dst'
        { Get-KapsuleModel -StorePath $dst $ref -Credential $bad -ErrorAction Stop } | Should -Throw -ErrorId 'KapsuleAuthenticationFailed,*'
        @(Get-KapsuleImage -StorePath $dst).Count | Should -Be 0
    }
}

Describe 'Anonymous tokens' -Tag 'Registry' {
    BeforeAll {
        $reg = Start-TestRegistry -TokenAuth -AnonymousPull
        $cred = New-TestCredential $reg.UserName $reg.Password
        $src = New-TestFolder 'src'
        $ref = "$($reg.HostPort)/public/model:v1"
        $null = New-PushableImage $src $ref 256KB 21
        Publish-KapsuleImage -StorePath $src $ref -Credential $cred
    }
    AfterAll {
        Stop-TestRegistry $reg
        Remove-Item $src -Recurse -Force -ErrorAction Ignore
    }

    It 'pulls with an anonymous token when no credential is given' {
        $saved = $env:DOCKER_CONFIG, $env:REGISTRY_AUTH_FILE
        $empty = New-TestFolder 'no-logins'
        $env:DOCKER_CONFIG = $empty; $env:REGISTRY_AUTH_FILE = Join-Path $empty 'auth.json'
        try {
            $dst = New-TestFolder 'dst'
            (Get-KapsuleModel -StorePath $dst $ref).Digest | Should -Be (Get-KapsuleImage -StorePath $src $ref).Digest
            { Publish-KapsuleImage -StorePath $src $ref -Destination "$($reg.HostPort)/public/anon-push:v1" -ErrorAction Stop } |
                Should -Throw -ErrorId 'KapsuleAuthenticationFailed,*'
        }
        finally { $env:DOCKER_CONFIG, $env:REGISTRY_AUTH_FILE = $saved }
    }
}
