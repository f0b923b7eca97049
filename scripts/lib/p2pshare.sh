# Sourced by the bench scripts. p2p ARGS... runs the p2pshare that $P2PSHARE names: the executable scripts/build
# prints (Native AOT, or its ReadyToRun launcher) directly, a p2pshare.dll (a test build) with dotnet.
p2p() {
  case "$P2PSHARE" in
    *.dll) dotnet "$P2PSHARE" "$@" ;;
    *) "$P2PSHARE" "$@" ;;
  esac
}
