//! The evidence a rule file's `[[example]]` describes, for checking the rule against it.

use super::model::Example;
use crate::evidence::{
    ChainLink, EnvSource, Environment, Evidence, Failure, Finding, FindingSource, MissingModule,
    NixEnvFacts, NixLdFacts, NixPythonPackage, OsFacts, PythonFacts,
};

/// The evidence an example describes: one struct literal, a field for every fact an example
/// can set, which is why it is long.
pub fn example_evidence(example: &Example) -> Evidence {
    let environment = Environment {
        source: EnvSource::InferredFromText,
        os: OsFacts {
            nixos: example.nixos,
            platform: example.platform,
            ..OsFacts::default()
        },
        python: PythonFacts {
            executable: example.executable.clone(),
            version: example.version.clone(),
            kind: example.python_kind,
            venv: example.venv.clone(),
            loader: None,
            loader_flavor: example.loader_flavor,
            base_prefix: None,
            nix_attribute: example
                .version
                .as_deref()
                .and_then(crate::env::classify::nix_python_attribute),
            nix_app: example.nix_app.clone(),
            venv_tool: example.venv_tool.clone(),
            ..PythonFacts::default()
        },
        nix_ld: NixLdFacts {
            fhs_loader: example.fhs_loader.kind(),
            shim: example
                .fhs_loader
                .kind()
                .map(|k| k == crate::evidence::FhsLoaderKind::NixLd),
            ..NixLdFacts::default()
        },
        ld_library_path: example.ld_library_path.clone(),
        in_nix_shell: None,
        store_dir: None,
        shell: example
            .shell_tool
            .clone()
            .map(|tool| crate::evidence::ShellFacts {
                tool,
                file: example.shell_file.clone(),
            }),
        kernel: example
            .kernel
            .clone()
            .map(|name| crate::evidence::KernelFacts {
                spec: format!("/home/u/.local/share/jupyter/kernels/{name}/kernel.json"),
                name,
                argv0: example.executable.clone().unwrap_or_default(),
                module_found_in: example.kernel_module_python.clone(),
                module_found_in_has_ipykernel: example.kernel_ipykernel,
                user_overrides: example.kernel_user_overrides.unwrap_or(true),
                ..crate::evidence::KernelFacts::default()
            }),
        cuda: example_cuda(example),
        nix_env: example.nix_env.clone().map(|path| NixEnvFacts {
            path,
            layout: "argv0".into(),
            venv_base: example.venv.is_some(),
            venv_sees_env: example.venv.is_some().then_some(false),
            ..NixEnvFacts::default()
        }),
        store_module: example_store_module(example),
    };
    let failure = example.message.as_ref().map(|message| Failure {
        chain: vec![ChainLink {
            exc_type: "ImportError".into(),
            message: message.clone(),
            frames: Vec::new(),
        }],
        misleading: Vec::new(),
        original_text: None,
    });
    let findings = example
        .findings
        .iter()
        .map(|f| Finding {
            library: f.library.clone(),
            required_by: f.required_by.clone(),
            provider: f.provider.clone(),
            newest_available: f.newest_available.clone(),
            provider_via: f.provider_via.clone(),
            timeout_seconds: f.timeout_seconds,
            stuck_at: f.stuck_at.clone(),
            latent: f.latent,
            ..Finding::new(f.kind, FindingSource::Text, "example")
        })
        .collect();
    Evidence {
        environment,
        failure,
        findings,
        module: example.module.clone(),
        package: example.module.clone(),
    }
}

/// The `cuda` block an example describes: libcuda found as a stub, or the driver dir's state.
fn example_cuda(example: &Example) -> Option<crate::evidence::CudaFacts> {
    if example.cuda_stub.is_none() && example.cuda_driver_dir.is_none() {
        return None;
    }
    let stub = example.cuda_stub == Some(true);
    let has_libcuda = example.cuda_driver_dir == Some(true);
    let driver = "/run/opengl-driver/lib/libcuda.so.1";
    let stub_path =
        "/nix/store/00000000000000000000000000000000-cuda_cudart-12.4/lib/stubs/libcuda.so.1";
    Some(crate::evidence::CudaFacts {
        libraries: vec![crate::evidence::CudaLibrary {
            soname: "libcuda.so.1".into(),
            requested_by: "/home/u/.venv/lib/python3.12/site-packages/torch/lib/libc10_cuda.so"
                .into(),
            how: "dlopen".into(),
            path: stub.then(|| stub_path.to_string()),
            stub,
            ..crate::evidence::CudaLibrary::default()
        }],
        driver_dir: "/run/opengl-driver/lib".into(),
        driver_dir_exists: has_libcuda,
        driver_dir_has_libcuda: has_libcuda,
        driver_dir_resolves: has_libcuda.then_some(true),
        stubs: if stub {
            vec![crate::evidence::CudaStub {
                path: stub_path.into(),
                dir: stub_path.trim_end_matches("/libcuda.so.1").into(),
                shadows: has_libcuda.then(|| driver.to_string()),
            }]
        } else {
            Vec::new()
        },
        driver_version: None,
    })
}

/// The store's copy of the missing module an example names, or its base env's.
fn example_store_module(example: &Example) -> Option<MissingModule> {
    let module = example.findings.first()?.library.clone()?;
    if example.module_in_env == Some(true) {
        return Some(MissingModule {
            module,
            in_env: true,
            imports: Some(true),
            ..MissingModule::default()
        });
    }
    if !example.module_other_pythons.is_empty() {
        return Some(MissingModule {
            module,
            other_pythons: example.module_other_pythons.clone(),
            ..MissingModule::default()
        });
    }
    let path = example.store_module.clone()?;
    let package = NixPythonPackage {
        name: module.clone(),
        version: "1.0".into(),
        path: path.clone(),
        dependency: false,
    };
    Some(MissingModule {
        module,
        store: vec![package],
        chosen: Some(path),
        imports: Some(true),
        ..MissingModule::default()
    })
}
