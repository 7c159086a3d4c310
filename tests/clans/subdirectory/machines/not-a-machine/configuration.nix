# Not read: the clan's directory is ./infra.
{ ... }:
{
  clan.core.state.ignored.folders = [ "/ignored" ];
}
