"""Applications: the workflow, folios, documents, uploads, storage, notices and their queue."""
