export interface SubjectMaskOptions {
  placeholder: true;
}
