"""Placeholder until the export views land (owned by the exports work)."""

from rest_framework.response import Response
from rest_framework.views import APIView


class ProjectExportView(APIView):
    def get(self, request, slug):
        return Response({"detail": "exports are not available yet"}, status=501)


class ProjectImportVerdictsView(APIView):
    def post(self, request, slug):
        return Response({"detail": "verdict import is not available yet"}, status=501)
