{ ... }:
{
  clan.core.state.documents.folders = [ "/srv/documents" ];
}
