{
  "targets": [
    {
      "target_name": "voxelkit_native",
      "sources": ["native/conv3d.cc", "native/ncdhw.cc", "native/optim.cc", "native/direct_conv.cc"],
      "include_dirs": ["/usr/include/torch/csrc/api/include"],
      "libraries": ["-ltorch", "-ltorch_cpu", "-lc10"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-ffp-contract=off", "-fexceptions", "-frtti", "-Wno-unused-parameter"],
      "ldflags": ["-Wl,--no-as-needed", "-fopenmp"]
    }
  ]
}
