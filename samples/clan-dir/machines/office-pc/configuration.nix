{ ... }:
{
  clan.core.state.shared-documents.folders = [ "/srv/documents" ];
}
